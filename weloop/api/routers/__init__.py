"""One ninja Router per resource; ``weloop.api.api.ROUTERS`` mounts them."""
