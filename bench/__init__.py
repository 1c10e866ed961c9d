"""Benchmarks of a Shipline deploy on the lab: what a deploy costs and how close it comes to the floor."""
