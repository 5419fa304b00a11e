"""Fixtures shared by every test folder: throwaway databases and RabbitMQ vhost."""

pytest_plugins = ["servicekit.testing"]
