"""The GPU worker (TensorRT). Not built yet: GPU jobs wait in the `gpu` queue until it is."""
