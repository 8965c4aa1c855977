"""The Curtois–Qu shift-scheduling benchmark (schedulingbenchmarks.org), a solver of its own.

- :mod:`benchmarks.curtois.instance`: the instance reader, the independent evaluator and solution files;
  it imports no solver;
- :mod:`benchmarks.curtois.model`: the CP-SAT model of an instance, whole or a part with the rest fixed;
- :mod:`benchmarks.curtois.search`: the solve, CP-SAT on the whole model then a large neighbourhood search.

``raquan bench curtois`` runs it and re-checks every solution with the evaluator.
"""
