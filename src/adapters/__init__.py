"""Implementations of complaint_core's ports: calendars, policy files, storage, clocks."""
