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

/// Implements [`Aggregate`] for a state whose module decides and applies with free functions
/// of the trait's own shape, `decide(state, command, context)` and `apply(state, event)`:
/// those functions stay the module's API, and the trait is only their other name.
macro_rules! impl_aggregate {
    ($state:ident {
        command: $command:ty,
        event: $event:ty,
        error: $error:ty,
        context: $context:ty $(,)?
    }) => {
        impl $crate::Aggregate for $state {
            type Command = $command;
            type Event = $event;
            type Error = $error;
            type Context = $context;

            fn decide(
                state: Option<&$state>,
                command: $command,
                context: &$context,
            ) -> Result<Vec<$event>, $error> {
                decide(state, command, context)
            }

            fn apply(state: Option<$state>, event: &$event) -> Option<$state> {
                apply(state, event)
            }
        }
    };
}
pub(crate) use impl_aggregate;
