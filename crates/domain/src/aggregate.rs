//! The one contract every aggregate keeps: a command is decided against the aggregate's
//! state (none before its first event) and what else the decision needs (its context: who
//! acts, the time, facts of other aggregates), into the events that record it; an event is
//! applied to a state to give the next one. Storage and the application layer need nothing
//! else to run any aggregate's commands.

use crate::event::EventPayload;

pub trait Aggregate: Sized {
    type Command: Clone;
    type Event: EventPayload;
    type Error;
    /// What a decision needs besides the aggregate's own events.
    type Context;

    /// The events `command` produces for the aggregate in `state`, or why it is refused. No
    /// events: the command changes nothing.
    fn decide(
        state: Option<&Self>,
        command: Self::Command,
        context: &Self::Context,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    /// The state after `event`.
    fn apply(state: Option<Self>, event: &Self::Event) -> Option<Self>;

    /// The state after `events`, from nothing.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Option<Self>
    where
        Self::Event: 'a,
    {
        events.into_iter().fold(None, Self::apply)
    }
}
