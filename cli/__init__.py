"""The `greenhouse` command line. Sits above every layer and wires them together."""
