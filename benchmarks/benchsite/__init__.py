"""A benchmark site: the product's URLs unchanged, plus two minimal endpoints as the ceiling."""
