"""Reference servers the benchmarks compare against."""
