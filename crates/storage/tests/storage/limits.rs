//! Shared rate limits: a burst, then one request per interval, counted in PostgreSQL for
//! every caller together.

use std::time::Duration;

use stride_storage::limits::Quota;

use crate::fixture::store;

#[tokio::test]
async fn a_key_gets_its_burst_then_waits_its_interval_and_other_keys_are_apart() {
    let (_db, store) = store().await;
    let limits = store.shared_limits();
    let quota = Quota {
        interval: Duration::from_secs(30),
        burst: 3,
    };
    for _ in 0..3 {
        assert_eq!(limits.take(&["ip:203.0.113.7"], quota).await.unwrap(), None);
    }
    // The fourth waits about one interval: the first of the burst is paid off after 30 s.
    let wait = limits
        .take(&["ip:203.0.113.7"], quota)
        .await
        .unwrap()
        .unwrap();
    assert!(
        wait > Duration::from_secs(28) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    // A refused request costs nothing: the wait does not grow.
    let again = limits
        .take(&["ip:203.0.113.7"], quota)
        .await
        .unwrap()
        .unwrap();
    assert!(again <= wait, "{again:?} after {wait:?}");
    assert_eq!(limits.take(&["ip:203.0.113.8"], quota).await.unwrap(), None);
    // Nothing is forgotten while a key still owes time.
    assert_eq!(limits.forget_idle().await.unwrap(), 0);
}

#[tokio::test]
async fn callers_at_once_never_get_more_than_the_burst() {
    let (_db, store) = store().await;
    let quota = Quota {
        interval: Duration::from_secs(60),
        burst: 5,
    };
    let takes = (0..40).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .shared_limits()
                .take(&["token:x"], quota)
                .await
                .unwrap()
        })
    });
    let answers = futures_util::future::join_all(takes).await;
    let allowed = answers
        .into_iter()
        .filter(|a| a.as_ref().unwrap().is_none())
        .count();
    assert_eq!(allowed, 5);
}

#[tokio::test]
async fn a_key_whose_requests_are_paid_off_is_forgotten() {
    let (_db, store) = store().await;
    let limits = store.shared_limits();
    let quota = Quota {
        interval: Duration::from_millis(50),
        burst: 1,
    };
    assert_eq!(
        limits.take(&["ip:198.51.100.1"], quota).await.unwrap(),
        None
    );
    assert!(
        limits
            .take(&["ip:198.51.100.1"], quota)
            .await
            .unwrap()
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(limits.forget_idle().await.unwrap(), 1);
    assert_eq!(
        limits.take(&["ip:198.51.100.1"], quota).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn keys_taken_together_refuse_when_either_is_spent_and_say_the_longest_wait() {
    let (_db, store) = store().await;
    let limits = store.shared_limits();
    let quota = Quota {
        interval: Duration::from_secs(10),
        burst: 1,
    };
    assert_eq!(
        limits.take(&["token:a", "ip:1"], quota).await.unwrap(),
        None
    );
    // The address is spent: refused, and the fresh token counted its one.
    let wait = limits
        .take(&["ip:1", "token:b"], quota)
        .await
        .unwrap()
        .unwrap();
    assert!(wait > Duration::from_secs(9), "{wait:?}");
    assert!(limits.take(&["token:b"], quota).await.unwrap().is_some());
    assert_eq!(
        limits
            .take(&["ip:2", "token:c", "ip:2"], quota)
            .await
            .unwrap(),
        None
    );
}
