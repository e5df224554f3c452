"""Throughput and quality benchmarks for desens, with their own corpora."""
