"""One function per event type that folds the event into its aggregate.

Each aggregate module keeps a registry and registers its functions with
``@registry.on(EventType)``; ``registry.handler(event)`` finds the one for an
event. This is the single dispatch mechanism of the core (case, return, follow-up).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from .errors import DomainError
from .events import DomainEvent

A = TypeVar("A")
E = TypeVar("E", bound=DomainEvent)


class Appliers(Generic[A]):
    def __init__(self) -> None:
        self._by_type: dict[type[DomainEvent], Callable[[Any, A], A]] = {}

    def on(self, event_type: type[E]) -> Callable[[Callable[[E, A], A]], Callable[[E, A], A]]:
        def register(fn: Callable[[E, A], A]) -> Callable[[E, A], A]:
            self._by_type[event_type] = fn
            return fn

        return register

    def replay(
        self,
        events: Iterable[DomainEvent],
        first: type[E],
        create: Callable[[E], A],
        apply: Callable[[DomainEvent, A], A],
    ) -> A:
        """Rebuild an aggregate: ``create`` from its first event (of type ``first``), then ``apply`` the rest."""
        iterator = iter(events)
        head = next(iterator, None)
        if not isinstance(head, first):
            raise DomainError(f"the history must start with {first.EVENT_TYPE}", rule="EVENT-VERSION")
        state = create(head)
        for event in iterator:
            state = apply(event, state)
        return state

    def handler(self, event: DomainEvent) -> Callable[[Any, A], A]:
        found = self._by_type.get(type(event))
        if found is None:
            raise TypeError(f"no handler for {type(event).__name__}")
        return found
