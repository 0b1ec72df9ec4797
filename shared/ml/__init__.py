"""What needs torch and timm: batch-norm fusion, model preparation, parameter counting, and the tools that
build the registry snapshot and the accuracy catalog. Never imported by the API process."""
