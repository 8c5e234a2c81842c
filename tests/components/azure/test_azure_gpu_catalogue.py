"""The Azure GPU size catalogue: sourced and dated, honest about UAE availability, refusing retired families."""
from __future__ import annotations

import json
import re

import pytest

from sahab.components.azure.gpu_catalogue import CATALOGUE_PATH, is_gpu_size_name, load_gpu_catalogue, require_gpu_size
from sahab.components.validation import ComponentInputError


def test_catalogue_records_source_date_and_that_uae_availability_is_unverified():
    catalogue = load_gpu_catalogue()
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", catalogue.retrieved)
    assert "MicrosoftDocs/azure-docs" in catalogue.source
    assert "No authoritative list" in catalogue.availability_note and "uaenorth" in catalogue.availability_note
    assert catalogue.check_command_for("uaenorth").startswith("az vm list-skus --location uaenorth ")
    for family in catalogue.families.values():
        assert family.doc.startswith("MicrosoftDocs/azure-docs@"), family.name
        # Nothing in the stored sources confirms a GPU size in either UAE region.
        assert family.availability == {"uaenorth": "unverified", "uaecentral": "unverified"}, family.name


def test_gpu_counts_per_size_from_the_size_tables():
    catalogue = load_gpu_catalogue()
    assert catalogue.families["NC_A100_v4"].sizes == {
        "Standard_NC24ads_A100_v4": 1, "Standard_NC48ads_A100_v4": 2, "Standard_NC96ads_A100_v4": 4}
    assert catalogue.families["NCasT4_v3"].sizes["Standard_NC64as_T4_v3"] == 4
    assert catalogue.families["ND_A100_v4"].sizes == {"Standard_ND96asr_v4": 8}


@pytest.mark.parametrize("size, family, date", [
    ("Standard_NC6s_v3", "NCv3", "2025-09-30"),
    ("Standard_NC24rs_v3", "NCv3", "2025-09-30"),
    ("standard_nc12s_v3", "NCv3", "2025-09-30"),
    ("Standard_NC6s_v2", "NCv2", "2023-09-06"),
    ("Standard_NC24", "NC", "2023-09-06"),
    ("Standard_ND24rs", "ND", "2022-08-31"),
    ("Standard_NV12_Promo", "NV", "2023-09-06"),
])
def test_retired_families_are_refused_with_date_and_replacement(size, family, date):
    with pytest.raises(ComponentInputError) as raised:
        require_gpu_size("GpuTrainingPool", size, "uaenorth")
    message = str(raised.value)
    assert message.startswith("GpuTrainingPool: vm_size %s is in the %s family" % (size, family))
    assert "retired on %s" % date in message and "use " in message


def test_ncv3_refusal_names_the_recommended_nc_a100_v4_sizes():
    with pytest.raises(ComponentInputError, match=r"use NC_A100_v4 instead: Standard_NC24ads_A100_v4, Standard_NC48ads_A100_v4, Standard_NC96ads_A100_v4$"):
        require_gpu_size("GpuTrainingPool", "Standard_NC6s_v3", "uaenorth")


def test_uncatalogued_and_empty_sizes_are_refused_with_the_choices():
    expected = r"^GpuTrainingPool: vm_size 'Standard_D4s_v5' is not in sahab's GPU size catalogue \(gpu-sizes.json, \d{4}-\d{2}-\d{2}\); choose one of: "
    with pytest.raises(ComponentInputError, match=expected + "Standard_NC4as_T4_v3, "):
        require_gpu_size("GpuTrainingPool", "Standard_D4s_v5", "uaenorth")
    for bad in ("", "  ", None):
        with pytest.raises(ComponentInputError, match="vm_size must be a GPU VM size"):
            require_gpu_size("GpuTrainingPool", bad, "uaenorth")


def test_catalogued_size_is_returned_in_its_catalogue_spelling_with_its_state():
    size = require_gpu_size("p", "standard_nc48ads_a100_v4", "uaecentral")
    assert (size.name, size.family, size.gpus, size.availability) == ("Standard_NC48ads_A100_v4", "NC_A100_v4", 2, "unverified")


def _edited_catalogue(tmp_path, edit):
    document = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    edit(document)
    path = tmp_path / "gpu-sizes.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_size_marked_unavailable_is_refused(tmp_path, monkeypatch):
    from sahab.components.azure import gpu_catalogue

    def edit(document):
        document["families"]["NCasT4_v3"]["availability"]["uaecentral"] = "unavailable"

    edited = gpu_catalogue.load_gpu_catalogue.__wrapped__(_edited_catalogue(tmp_path, edit))
    monkeypatch.setattr(gpu_catalogue, "load_gpu_catalogue", lambda: edited)
    with pytest.raises(ComponentInputError) as raised:
        gpu_catalogue.require_gpu_size("GpuTrainingPool", "Standard_NC4as_T4_v3", "uaecentral")
    assert str(raised.value).startswith("GpuTrainingPool: vm_size Standard_NC4as_T4_v3 is not offered in uaecentral")
    assert "Standard_NC4as_T4_v3" not in str(raised.value).split("choose one of: ")[1]
    assert gpu_catalogue.require_gpu_size("p", "Standard_NC4as_T4_v3", "uaenorth").availability == "unverified"


@pytest.mark.parametrize("edit, problem", [
    (lambda d: d["families"]["NC_A100_v4"]["availability"].update(uaenorth="verified"), "marked verified without availabilityEvidence"),
    (lambda d: d["families"]["NC_A100_v4"]["availability"].update(uaenorth="maybe"), "availability in uaenorth is 'maybe'"),
    (lambda d: d["families"]["NC_A100_v4"]["availability"].pop("uaecentral"), "must state its availability in exactly uaenorth, uaecentral"),
    (lambda d: d["families"]["NC_A100_v4"]["sizes"].update(Standard_NC6s_v3=1), "size Standard_NC6s_v3 of family NC_A100_v4 matches a retired family"),
    (lambda d: d["retired"]["NCv3"].update(replacement="NCv9"), "names replacement NCv9, which is not a catalogued family"),
    (lambda d: d.pop("retrieved"), "retrieved is missing"),
])
def test_a_malformed_catalogue_is_refused_not_half_used(tmp_path, edit, problem):
    with pytest.raises(ComponentInputError, match=re.escape(problem)):
        load_gpu_catalogue(_edited_catalogue(tmp_path, edit))


def test_n_series_names_are_gpu_sizes():
    assert is_gpu_size_name("Standard_NC4as_T4_v3") and is_gpu_size_name("standard_nv36ads_a10_v5")
    assert not is_gpu_size_name("Standard_D4ds_v5")
