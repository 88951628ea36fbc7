"""Linear operators on signals: convolution, its geometry, and its matrices."""
