"""Pure functions over results: the Pareto frontier and the insights written from it."""
