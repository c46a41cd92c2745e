"""Remote engines in the app: the Models tab's section and its handle."""
