//! The harness's smoke mode: a few hundred checked requests of every case
//! against the hand-written servers and the Bia server, which must answer
//! with the same bytes. Correctness only: nothing here measures time.

mod support;

use support::same_replies;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_gives_the_same_replies_by_hand_and_with_bia() {
    same_replies(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_middleware_stack_changes_no_reply() {
    same_replies(true).await;
}
