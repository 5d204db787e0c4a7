//! Slow clients cannot hold the server: a client that never finishes its request headers is
//! disconnected (`config::Timeouts::header`), one that never finishes its body gets a 408 from
//! the request timeout, and while a crowd of them hangs on, everybody else is answered. The
//! timeouts are shortened to seconds so the test does not wait half a minute; the code path is
//! the deployed one. Backend-independent, so it runs on SQLite only.

use crate::helpers::{Backend, spawn_app_with};
use kehoach::config::Timeouts;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The test's timeouts: short, and far apart from [`HANG`].
const TIMEOUTS: Timeouts = Timeouts {
    header: Duration::from_secs(2),
    request: Duration::from_secs(3),
};

/// Far above both timeouts: reaching it means the server waited for ever.
const HANG: Duration = Duration::from_secs(30);

/// Everything the server sends until it closes the connection.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut answer))
        .await
        .expect("the server kept a slow client's connection open")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_others_are_still_served() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.timeouts = TIMEOUTS).await;
    let host = app.address.trim_start_matches("http://").to_owned();

    // Headers started, never finished (the slowloris pattern), a crowd of them.
    let mut loris = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(&host).await.unwrap();
        s.write_all(b"GET /login HTTP/1.1\r\nHost: kehoach\r\nX-Slow: ")
            .await
            .unwrap();
        loris.push(s);
    }
    // A body announced and never sent.
    let mut trickle = TcpStream::connect(&host).await.unwrap();
    trickle
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: kehoach\r\nContent-Type: application/x-www-form-urlencoded\r\nCookie: kehoach_csrf=slow\r\nX-CSRF-Token: slow\r\nContent-Length: 4096\r\n\r\nemail=",
        )
        .await
        .unwrap();
    // A connection opened and left silent.
    let mut silent = TcpStream::connect(&host).await.unwrap();

    // Meanwhile the others are served.
    for _ in 0..5 {
        let r = app.get("/login").await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
    }

    let (loris_answers, trickle_answer, silent_answer) = tokio::join!(
        async {
            let mut answers = Vec::new();
            for s in &mut loris {
                answers.push(read_until_closed(s).await);
            }
            answers
        },
        read_until_closed(&mut trickle),
        read_until_closed(&mut silent),
    );
    // Cut off without a page: they never sent a complete request to answer.
    for answer in &loris_answers {
        assert!(
            !answer.contains("200 OK"),
            "a request without its headers was answered: {answer}"
        );
    }
    assert!(silent_answer.is_empty(), "{silent_answer}");
    assert!(
        trickle_answer.starts_with("HTTP/1.1 408"),
        "a body that never came: {trickle_answer}"
    );
    // And the server is still there.
    assert_eq!(app.get("/login").await.status(), reqwest::StatusCode::OK);
}
