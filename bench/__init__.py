"""On-demand benchmarks (not tests): run them as scripts, see bench/README.md."""
