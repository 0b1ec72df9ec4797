"""How a benchmark is measured: the spec and pipeline every engine goes through, the benchmark process,
timing and statistics, hardware description, the converted-model cache. No torch import at module level."""
