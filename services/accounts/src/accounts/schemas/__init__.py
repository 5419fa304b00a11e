"""Request and response models of the HTTP API (the commands the use cases take, and
what they answer); their JSON schemas make the OpenAPI document."""
