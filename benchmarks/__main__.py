"""``python -m benchmarks``: list the benchmarks and how to run them."""

import benchmarks

__all__: list[str] = []

print(benchmarks.__doc__)
