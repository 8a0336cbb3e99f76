"""Lane zones: polygons in frame fractions, validation, which boxes are inside."""
