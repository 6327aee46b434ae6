//! The user-service's API page and the truth of its OpenAPI document, with
//! programs that are not ours: `/docs` (Swagger UI built into the binary)
//! used in headless Chromium to create a user, and schemathesis fuzzing the
//! live service from `/openapi.json`.

use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use support::*;

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_and_the_config_turns_them_off() {
    let dir = temp_dir("docs");
    let svc = Service::start(&dir).await;
    let (status, page) = get(&format!("{}/docs", svc.http_url())).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<title>user-service · API</title>"), "{page}");
    assert!(page.contains(r#"url: "/openapi.json""#), "{page}");
    let (status, again) = get(&format!("{}/docs/", svc.http_url())).await;
    assert_eq!((status, again), (200, page));
    // The assets come from the binary: no CDN, works offline.
    let (status, script) = get(&format!("{}/docs/assets/swagger-ui-bundle.js", svc.http_url())).await;
    assert!(status == 200 && script.len() > 500_000 && script.contains("SwaggerUIBundle"), "{status} {}", script.len());
    let (status, css) = get(&format!("{}/docs/assets/swagger-ui.css", svc.http_url())).await;
    assert!(status == 200 && css.contains(".swagger-ui"), "{status}");
    drop(svc);

    // `server.http.docs: false`: the page goes, the document stays.
    let svc = Service::start_with(&dir, &[("BIA_SERVER__HTTP__DOCS", "false".to_owned())]).await;
    let (status, body) = get(&format!("{}/docs", svc.http_url())).await;
    assert!(status == 404 && body.contains(r#""reason":"NOT_FOUND""#), "{status} {body}");
    assert_eq!(get(&format!("{}/openapi.json", svc.http_url())).await.0, 200);
    drop(svc);

    // `server.http.openapi: false` switches both off.
    let svc = Service::start_with(&dir, &[("BIA_SERVER__HTTP__OPENAPI", "false".to_owned())]).await;
    for path in ["/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json"] {
        let (status, body) = get(&format!("{}{path}", svc.http_url())).await;
        assert!(status == 404 && body.contains(r#""reason":"NOT_FOUND""#), "{path}: {status} {body}");
    }
}

/// A person opens `/docs` in a browser, sees the operations, opens
/// CreateUser, types a body and presses Execute: the page shows the new
/// user, and the service has it. The screenshot is kept under
/// `target/test-artifacts/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_creates_a_user_from_the_docs_page_in_chromium() {
    let Some(chromium) = chromium("the docs page test opens /docs in it") else { return };
    if !external("python3", &["-c", "import websockets"], "drives Chromium (pip install websockets)") {
        return;
    }
    let dir = temp_dir("docs-chromium");
    let svc = Service::start(&dir).await;
    let shots = target_dir().join("test-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("user-service-docs.png");
    let _ = std::fs::remove_file(&shot);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/docs_page.py");
    let url = format!("{}/docs", svc.http_url());
    let out = Command::new("python3")
        .args([script, chromium, &url, shot.to_str().unwrap(), "Ann From The Docs", "ann.docs@example.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let shown: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let operations: Vec<&str> = shown["operations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    for op in ["CreateUser", "GetUser", "ListUsers"] {
        assert!(operations.contains(&op), "{op} not listed: {operations:?}");
    }
    assert_eq!(shown["status"], "200", "{shown}");
    let reply: serde_json::Value = serde_json::from_str(shown["body"].as_str().unwrap()).unwrap();
    assert_eq!(reply["user"]["name"], "Ann From The Docs");
    let id = reply["user"]["id"].as_str().unwrap();

    // The user the page created is there, over the API.
    let (status, body) = get(&format!("{}/v1/user/{id}", svc.http_url())).await;
    assert!(status == 200 && body.contains("ann.docs@example.com"), "{status} {body}");
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a screenshot of the page");
}

/// schemathesis reads `/openapi.json` and sends the live service requests
/// the document allows and requests it does not (coverage, fuzzing and
/// stateful phases): no reply may be a 5xx, have a status, content type,
/// header or body the document does not give, or refuse a request the
/// document allows. Bounded by example count and time; the seed is fixed
/// so a failure replays (`BIA_SCHEMATHESIS_SEED` picks another).
///
/// Two runs: `UpdateUser` is checked for everything but the acceptance of
/// every allowed request, as its `update_mask` is a FieldMask, whose valid
/// paths depend on the message it masks, which the document cannot say
/// (`?update_mask=nosuchfield` is a 400 the document allows). `WatchUsers`,
/// an endless event stream, is left out: a fuzzer reads a reply to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_document_true() {
    if !external(
        "schemathesis",
        &["--version"],
        "fuzzes the service from its OpenAPI document (pip install schemathesis)",
    ) {
        return;
    }
    let dir = temp_dir("schemathesis");
    let svc = Service::start_logging_to_file(&dir).await;
    let seed = std::env::var("BIA_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let doc = format!("{}/openapi.json", svc.http_url());
    let runs: [(&str, &[&str]); 2] = [
        ("all but UpdateUser", &["--exclude-operation-id", "UpdateUser", "--checks", "all"]),
        (
            "UpdateUser",
            &[
                "--include-operation-id",
                "UpdateUser",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
            ],
        ),
    ];
    for (what, args) in runs {
        let started = Instant::now();
        let out = Command::new("schemathesis")
            .current_dir(&dir)
            .args(["--no-color", "run", &doc, "--exclude-operation-id", "WatchUsers"])
            .args(args)
            .args(["--max-examples", "25", "--max-time", "60", "--request-timeout", "5", "--seed", &seed])
            .args(["--output-truncate", "false"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            let log = std::fs::read_to_string(dir.join("service.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "schemathesis ({what}) found the document untrue:\n{text}\n{}\nthe service's last log lines:\n{}",
                String::from_utf8_lossy(&out.stderr),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        assert!(text.contains("Tested:"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(240), "bounded by --max-time");
    }
}
