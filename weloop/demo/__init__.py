"""Demo data: a bakery-café chain in Shenzhen that every capability extends (`weloop demo`)."""
