"""One module per task family; the registry lists them."""
