"""Which frame of a registration's stack becomes the resource's `source` (harness/sources.py)."""
from __future__ import annotations

from pathlib import Path

from pulumi.runtime.proto import resource_pb2, source_pb2

from sahab.planner.harness.sources import SourceLocator


def request(*frames: tuple, position: tuple = ()) -> resource_pb2.RegisterResourceRequest:
    """A registration whose stack trace has ``frames`` (innermost first), as the SDK sends it."""
    trace = source_pb2.StackTrace(frames=[
        source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=Path(path).as_uri(), line=line)) for path, line in frames])
    message = resource_pb2.RegisterResourceRequest(type="t:i:T", name="n", stackTrace=trace)
    if position:
        message.sourcePosition.CopyFrom(source_pb2.SourcePosition(uri=Path(position[0]).as_uri(), line=position[1]))
    return message


def test_innermost_frame_inside_the_root_outside_libraries_and_the_harness(tmp_path: Path):
    root, harness = tmp_path / "repo", tmp_path / "repo" / "tools" / "harness"
    locator = SourceLocator(str(root), excluded=[str(harness)])
    stack = request(
        (str(root / ".venv/lib/python3.11/site-packages/lib/__init__.py"), 9),   # an installed library
        (str(harness / "monitor.py"), 3),                                      # the planner itself
        (str(tmp_path / "elsewhere" / "helper.py"), 5),                        # outside the repository
        (str(root / "infra" / "my stack" / "__main__.py"), 12),                # the program (a space: %20 in the URI)
        (str(root / "infra" / "other.py"), 40),                                # an outer frame
    )
    assert locator.locate(stack) == {"file": "infra/my stack/__main__.py", "line": 12}


def test_no_frame_in_the_project_gives_no_source(tmp_path: Path):
    locator = SourceLocator(str(tmp_path / "repo"))
    assert locator.locate(request((str(tmp_path / "elsewhere.py"), 1))) is None
    assert locator.locate(resource_pb2.RegisterResourceRequest(type="t:i:T", name="n")) is None


def test_older_sdks_send_only_the_source_position(tmp_path: Path):
    locator = SourceLocator(str(tmp_path))
    assert locator.locate(request(position=(str(tmp_path / "__main__.py"), 4))) == {"file": "__main__.py", "line": 4}


def test_a_symlinked_root_still_gives_relative_paths(tmp_path: Path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    locator = SourceLocator(str(tmp_path / "link"))
    assert locator.locate(request((str(tmp_path / "real" / "main.py"), 2))) == {"file": "main.py", "line": 2}
