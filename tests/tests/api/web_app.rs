//! The reference web app as the server sends it: its pages under `/app/` and `/b/{slug}`, their
//! scripts and stylesheet from the binary, revalidated by ETag, with a content security policy
//! that keeps scripts and styles to the server's own origin.

use reqwest::StatusCode;
use stride_tests::{TestApp, assert_problem};

#[tokio::test]
async fn the_dashboard_and_the_board_are_pages_whose_assets_come_from_the_binary() {
    let app = TestApp::spawn().await;
    for (path, script) in [
        ("/app/", "/assets/dashboard.js"),
        ("/app/any/deeper/path", "/assets/dashboard.js"),
        ("/b/northwind", "/assets/board.js"),
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-type"], "text/html; charset=utf-8",
            "{path}"
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(&format!("src=\"{script}\"")),
            "{path}: {page}"
        );
        assert!(page.contains("href=\"/assets/app.css\""), "{path}");
    }

    // Each asset has its type, and a client holding it is told it is unchanged.
    for (asset, kind) in [
        ("/assets/dashboard.js", "text/javascript; charset=utf-8"),
        ("/assets/board.js", "text/javascript; charset=utf-8"),
        ("/assets/app.css", "text/css; charset=utf-8"),
    ] {
        let response = app.http.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert_eq!(response.headers()["content-type"], kind);
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() == 18,
            "{etag}"
        );
        assert!(!response.bytes().await.unwrap().is_empty(), "{asset}");
        let again = app
            .http
            .get(app.url(asset))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{asset}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        let other = app
            .http
            .get(app.url(asset))
            .header("if-none-match", "\"0000000000000000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK, "{asset}");
    }

    // What is not an asset is a problem, as anywhere else.
    assert_problem(
        app.http
            .get(app.url("/assets/secrets.txt"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    // `/app` is the dashboard's address without its slash.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects.get(app.url("/app")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/app/");
}
