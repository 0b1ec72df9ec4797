"""What can be benchmarked and how accurate it is: the timm registry snapshot, the accuracy catalog, custom
variants, the seed study and model families. Imports no ML library."""
