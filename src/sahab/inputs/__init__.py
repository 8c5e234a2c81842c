"""Reading what a pull request can change (stack files, sahab.yaml, waivers, stack outputs, project
files) with limits, so that no input can hang, exhaust or crash the gate: docs/cli.md "Input limits"."""
