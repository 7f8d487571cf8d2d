//! Ids a command names of the team's other aggregates (the goals a post serves, the channels
//! an idea is aimed at): each must be one of the team's, so that no event points into another
//! team, and one named twice counts once, so that no event lists it twice.

use std::collections::BTreeSet;

use uuid::Uuid;

/// `named`, each once, in the order first named; the first that is not one of `team`'s is
/// refused.
pub(crate) fn of_team(named: Vec<Uuid>, team: &BTreeSet<Uuid>) -> Result<Vec<Uuid>, Uuid> {
    let mut once = Vec::with_capacity(named.len());
    for id in named {
        if !team.contains(&id) {
            return Err(id);
        }
        if !once.contains(&id) {
            once.push(id);
        }
    }
    Ok(once)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_team_count_once_in_their_first_order_and_others_are_refused() {
        let [a, b, stranger] = [1, 2, 9].map(Uuid::from_u128);
        let team = BTreeSet::from([a, b]);
        assert_eq!(of_team(vec![b, a, b, a], &team), Ok(vec![b, a]));
        assert_eq!(of_team(vec![], &team), Ok(vec![]));
        assert_eq!(of_team(vec![a, stranger, b], &team), Err(stranger));
    }
}
