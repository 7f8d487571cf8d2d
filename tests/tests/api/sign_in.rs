//! Sign-in through a team's OpenID Connect provider, against a real local issuer: an HTTP
//! server of the test's own serving a discovery document and the keys (P-256, made here) of
//! a JWKS. A token from it signs in the member with its verified address; key rotation is
//! followed; an expired token, a wrong audience, another issuer, `alg: none` and a tampered
//! signature are each a 401 with a clear detail.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use reqwest::StatusCode;
use serde_json::{Value, json};
use stride_tests::{Team, TestApp, assert_problem};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A signing key and its public half as a JWK.
pub(crate) struct Key {
    kid: String,
    der: Vec<u8>,
    jwk: Value,
}

impl Key {
    pub(crate) fn new(kid: &str) -> Key {
        let secret = loop {
            if let Ok(secret) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                break secret;
            }
        };
        let point = secret.public_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| URL_SAFE_NO_PAD.encode(c.unwrap());
        Key {
            kid: kid.to_owned(),
            der: secret.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
                "x": coordinate(point.x()), "y": coordinate(point.y()),
            }),
        }
    }

    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = Header {
            kid: Some(self.kid.clone()),
            ..Header::new(Algorithm::ES256)
        };
        encode(&header, claims, &EncodingKey::from_ec_der(&self.der)).unwrap()
    }
}

/// An OpenID provider on 127.0.0.1: its discovery document, and the keys it publishes now.
pub(crate) struct Issuer {
    pub(crate) url: String,
    keys: Arc<Mutex<Vec<Value>>>,
}

impl Issuer {
    pub(crate) async fn start() -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let keys = Arc::new(Mutex::new(Vec::new()));
        let (base, published) = (url.clone(), keys.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (base, published) = (base.clone(), published.clone());
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut request_line = String::new();
                    if stream.read_line(&mut request_line).await.is_err() {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    let path = request_line.split(' ').nth(1).unwrap_or_default();
                    let body = match path {
                        "/.well-known/openid-configuration" => {
                            json!({ "issuer": base, "jwks_uri": format!("{base}/jwks") })
                        }
                        "/jwks" => json!({ "keys": published.lock().unwrap().clone() }),
                        _ => Value::Null,
                    };
                    let (status, body) = if body.is_null() {
                        ("404 Not Found", String::new())
                    } else {
                        ("200 OK", body.to_string())
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.get_mut().write_all(response.as_bytes()).await;
                });
            }
        });
        Issuer { url, keys }
    }

    pub(crate) fn publish(&self, keys: &[&Key]) {
        *self.keys.lock().unwrap() = keys.iter().map(|k| k.jwk.clone()).collect();
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims of `email`, verified, from `issuer` for the audience `stride`, valid 5 minutes.
pub(crate) fn claims(issuer: &str, email: &str) -> Value {
    json!({
        "iss": issuer, "sub": format!("sub-{email}"), "aud": "stride",
        "exp": now() + 300, "nbf": now() - 5, "iat": now(),
        "email": email, "email_verified": true, "name": "Ada Lovelace",
    })
}

pub(crate) async fn team_with_provider(app: &TestApp, issuer: &Issuer) -> Team {
    let team = app.sign_up("acme").await;
    let set = app
        .patch(
            &format!("/v1/teams/{}", team.id),
            &team.owner_token,
            json!({ "sso": { "issuer": issuer.url, "audience": "stride", "allowed_domain": "acme.com" } }),
        )
        .await;
    assert_eq!(
        set.status(),
        StatusCode::OK,
        "{}",
        set.text().await.unwrap()
    );
    team
}

/// The status and `detail` of reading the team with `token`.
async fn read_team(app: &TestApp, team: &Team, token: &str) -> (u16, String) {
    let response = app.get(&format!("/v1/teams/{}", team.id), token).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn an_invitee_signs_in_through_the_provider_and_becomes_a_member_of_the_role_invited() {
    let app = TestApp::spawn().await;
    let issuer = Issuer::start().await;
    let key = Key::new("k1");
    issuer.publish(&[&key]);
    let team = team_with_provider(&app, &issuer).await;
    let viewed: Value = app
        .get(&format!("/v1/teams/{}", team.id), &team.owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(viewed["sso"]["allowed_domain"], "acme.com");

    // Nobody has this address yet, and no invitation waits for it.
    let ada = key.sign(&claims(&issuer.url, "ada@acme.com"));
    let (status, detail) = read_team(&app, &team, &ada).await;
    assert_eq!(
        (status, detail.contains("no member")),
        (401, true),
        "{detail}"
    );

    let invited = app
        .post(
            &format!("/v1/teams/{}/invitations", team.id),
            &team.owner_token,
            json!({ "email": "Ada@acme.com", "role": "admin" }),
        )
        .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let (status, _) = read_team(&app, &team, &ada).await;
    assert_eq!(status, 200, "the first sign-in accepts the invitation");
    let team_view: Value = app
        .get(&format!("/v1/teams/{}", team.id), &ada)
        .await
        .json()
        .await
        .unwrap();
    let joined = team_view["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "Ada@acme.com")
        .cloned()
        .unwrap();
    assert_eq!(
        (joined["role"].as_str(), joined["name"].as_str()),
        (Some("admin"), Some("Ada Lovelace"))
    );
    // An admin now: she may invite, as the provider's token alone says who she is.
    let hers = app
        .post(
            &format!("/v1/teams/{}/invitations", team.id),
            &ada,
            json!({ "email": "bo@acme.com", "role": "member" }),
        )
        .await;
    assert_eq!(hers.status(), StatusCode::CREATED);

    // Removing her ends her access at once, whatever her provider says.
    let removed = app
        .delete(
            &format!(
                "/v1/teams/{}/members/{}",
                team.id,
                joined["id"].as_str().unwrap()
            ),
            &team.owner_token,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(read_team(&app, &team, &ada).await.0, 401);
    // Stride tokens go on working beside the provider.
    assert_eq!(read_team(&app, &team, &team.owner_token).await.0, 200);
}

#[tokio::test]
async fn rotated_keys_are_followed_and_every_bad_token_is_a_401_that_says_why() {
    let app = TestApp::spawn().await;
    let issuer = Issuer::start().await;
    let (old, new) = (Key::new("old"), Key::new("new"));
    issuer.publish(&[&old]);
    let team = team_with_provider(&app, &issuer).await;
    app.post(
        &format!("/v1/teams/{}/members", team.id),
        &team.owner_token,
        json!({ "name": "Ada", "email": "ada@acme.com", "role": "member" }),
    )
    .await;
    let good = claims(&issuer.url, "ada@acme.com");
    assert_eq!(read_team(&app, &team, &old.sign(&good)).await.0, 200);

    // The provider rotates: tokens of the new key are taken once its keys are read again.
    issuer.publish(&[&new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(read_team(&app, &team, &new.sign(&good)).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, detail) = read_team(&app, &team, &old.sign(&good)).await;
    assert_eq!(status, 401);
    assert!(detail.contains("key"), "{detail}");

    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 120);
    cases.push(("expired", new.sign(&expired), "xpired"));
    let mut audience = good.clone();
    audience["aud"] = json!("someone-else");
    cases.push(("wrong audience", new.sign(&audience), "udience"));
    let mut other = good.clone();
    other["iss"] = json!("http://127.0.0.1:9/other");
    cases.push(("another issuer", new.sign(&other), "ssuer"));
    let mut unverified = good.clone();
    unverified["email_verified"] = json!(false);
    cases.push(("unverified", new.sign(&unverified), "verified"));
    cases.push((
        "another domain",
        new.sign(&claims(&issuer.url, "ada@elsewhere.com")),
        "acme.com",
    ));
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(good.to_string());
    cases.push(("alg none", format!("{header}.{body}."), "RS256 and ES256"));
    let signed = new.sign(&good);
    let (rest, signature) = signed.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    cases.push((
        "tampered signature",
        format!("{rest}.{flipped}{}", &signature[1..]),
        "not valid",
    ));
    for (case, token, says) in cases {
        let response = app.get(&format!("/v1/teams/{}", team.id), &token).await;
        let problem = assert_problem(response, 401, "unauthorized").await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{case}: {detail}");
    }
}

#[tokio::test]
async fn only_owners_set_up_a_provider_and_without_one_a_jwt_signs_no_one_in() {
    let app = TestApp::spawn().await;
    let team = app.sign_up("acme").await;
    let (_, admin) = app.add_member(&team, "admin").await;
    let path = format!("/v1/teams/{}", team.id);
    let sso = json!({ "sso": { "issuer": "https://acme.okta.com", "audience": "stride" } });
    assert_problem(
        app.patch(&path, &admin, sso.clone()).await,
        403,
        "forbidden",
    )
    .await;
    let key = Key::new("k");
    let token = key.sign(&claims("https://acme.okta.com", "ada@acme.com"));
    let (status, detail) = read_team(&app, &team, &token).await;
    assert_eq!(status, 401);
    assert!(detail.contains("no provider"), "{detail}");
    let plain_http = json!({ "sso": { "issuer": "http://acme.okta.com", "audience": "stride" } });
    let refused = app.patch(&path, &team.owner_token, plain_http).await;
    assert_problem(refused, 422, "validation_failed").await;
}

/// A 2048-bit RSA key made for this test alone (PKCS#1 DER, base64), and its modulus as a
/// JWK writes it: generating one in a debug build would take seconds.
const RSA_KEY: &str = concat!(
    "MIIEpAIBAAKCAQEAt2pP4V61yz3pHWPdtYrNFQBudCiLw6qrvt03B862UQPsASbmpWTVND/RcnxQGJqir/GiBOx4",
    "+o99ObKZcCF6RrirM+GtrQvROkYafqn+RB7yoVLx2XnBqQdQ0hyawAfnT85aW3q/vDoB9pp55d8bzgZt7Emg7W7c",
    "blybL9+3nFCa66+/pnEJ90vO4ES95rCC+ct8RMBJrBWbwcuUspsIPSaJMJVMxCnuMGz+VfG4jAJdbuIop1nOUwa5",
    "2zb0vReTTsQOI2ZTQFEiQOnUKZuv0s/CnfmspLETu69jmrK2T2HVSgVBYEp/mFhXf4DFrCv91QYQawUhi6q8sb8C",
    "SqauJwIDAQABAoIBABXBXO84+iw80DFFvq8BYzj5/5/0jTtsu4lcmOHqsXJjmjM6x4HXt3hGl5PSTffVI7Xl3ddi",
    "qyjhKzPUTOHhfqzzy47QVnbfn3YfiZX7mObAmvvqqDgo+oEPlpUNgoeDiHrNWadfJG3xnXkAMrRC5fvmhFRSGW4A",
    "R9IpVtjzWsaGD4YhFDJKsDptYaHvOOKuZ6Rt12I3ocKGYh/CfeP/BfsE7KW0RECHgk7Qe+ll74pRiVBgL3jAdaGg",
    "MwZ6sbWDMDeN43y282UO0aK4D5NyCX24VmrEzRYXTGCRCPpqoxfQFoOUHcy2Qs1rixdgPGWC2vipWt0IhVNt1vL/",
    "VEqzRsUCgYEA6WhTl9OxUipkPxxvTOgXyefYkOGhhNRGE6EqhJmGcSD6MwoAyF7BjGuVNA6r3lPb/C/frpHzC+zQ",
    "u1rtS0oQ1N3WlpZqBsNh7sFdZC5VxG+DwaHIblZqXE08GQdbQq5CABRPdVDZ+xXM+aRn7cF9AXd2c2VLZHe4IfKf",
    "YepAig0CgYEAySs2iTmd9iup9aW9AvAH6JSgDR/fKSZh9fPJsk6Qwzzxra5H6viGTm1Mi2XbCcgk8WTl/tHXxU+b",
    "wBJmzQamMe1Thewc4bzETONLWnGLzdsDBWk5bo4nBSgG/dxynt8MOjEHihHGlgHul3DYqmmYwctt35DinMGk54zg",
    "QUiFUAMCgYEAqUIrZG1yKDhvi8it+aJRJeyIAsBsZaudybxU3eWLNdyJM5vsZ2E3kAGwKBj/j3FWlLGOzsQt8Rbh",
    "YwwUCkYCoKriYz9eUds72GzGsdBcB+AqNq+AbmsiJB8qFqhcCKXfXLldyaBBArCTfPE5IJPwd7DO5+2r14Zts8iC",
    "xfmepb0CgYBxMIJYBfZOS9UupZnLLFmW0QGZQOSk17bo18oWLMShRgpKCjTnDf0r5a3bBW2QfG/k7zvF/DZnC9r7",
    "4J69H8+laf7D7M13amodRQriEd9y7ZculT0+anekHBiLAF3x7FiJ6Ypvcn8FaoLf7RvMDuxnplnlIDWRtBdgPdD0",
    "iqSQFwKBgQC70ZDtE9/JRd6iCVH9lo/7jK5dTzKR6L5uWDHDFXuLHmw5PJH3Mj6oeWGJvxC2kTOUNOPyspoz0tB8",
    "CtkQPM/mY4TjDLsRKUkXzp6Ys1w9/LrdLa4tiKIX2l1fT6NKA9HpGgUTx311FyB1k6ZI1AYVyD8RpBwhPXQa9lfe",
    "/IHiXw==",
);
const RSA_MODULUS: &str = concat!(
    "t2pP4V61yz3pHWPdtYrNFQBudCiLw6qrvt03B862UQPsASbmpWTVND_RcnxQGJqir_GiBOx4-o99ObKZcCF6Rrir",
    "M-GtrQvROkYafqn-RB7yoVLx2XnBqQdQ0hyawAfnT85aW3q_vDoB9pp55d8bzgZt7Emg7W7cblybL9-3nFCa66-_",
    "pnEJ90vO4ES95rCC-ct8RMBJrBWbwcuUspsIPSaJMJVMxCnuMGz-VfG4jAJdbuIop1nOUwa52zb0vReTTsQOI2ZT",
    "QFEiQOnUKZuv0s_CnfmspLETu69jmrK2T2HVSgVBYEp_mFhXf4DFrCv91QYQawUhi6q8sb8CSqauJw",
);

#[tokio::test]
async fn an_rs256_token_signs_in_and_an_hmac_one_made_with_the_public_key_does_not() {
    let app = TestApp::spawn().await;
    let issuer = Issuer::start().await;
    let ec = Key::new("ec");
    let rsa_jwk = json!({
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": "rsa", "n": RSA_MODULUS, "e": "AQAB",
    });
    *issuer.keys.lock().unwrap() = vec![ec.jwk.clone(), rsa_jwk];
    let team = team_with_provider(&app, &issuer).await;
    app.post(
        &format!("/v1/teams/{}/members", team.id),
        &team.owner_token,
        json!({ "name": "Ada", "email": "ada@acme.com", "role": "member" }),
    )
    .await;
    let good = claims(&issuer.url, "ada@acme.com");
    let der = base64::engine::general_purpose::STANDARD
        .decode(RSA_KEY)
        .unwrap();
    let header = Header {
        kid: Some("rsa".into()),
        ..Header::new(Algorithm::RS256)
    };
    let rs256 = encode(&header, &good, &EncodingKey::from_rsa_der(&der)).unwrap();
    assert_eq!(read_team(&app, &team, &rs256).await.0, 200);

    // The classic confusion: HS256 keyed with the provider's public key.
    let header = Header {
        kid: Some("rsa".into()),
        ..Header::new(Algorithm::HS256)
    };
    let hs256 = encode(
        &header,
        &good,
        &EncodingKey::from_secret(RSA_MODULUS.as_bytes()).unwrap(),
    )
    .unwrap();
    let response = app.get(&format!("/v1/teams/{}", team.id), &hs256).await;
    let problem = assert_problem(response, 401, "unauthorized").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("RS256 and ES256"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_browser_finds_a_teams_provider_by_slug_and_nothing_of_teams_without_one() {
    let app = TestApp::spawn().await;
    let issuer = Issuer::start().await;
    let plain = app.sign_up("plain").await;
    // A team without a provider, and a slug that names no team, answer alike.
    for slug in [plain.slug.as_str(), "nobody-here", "Not A Slug"] {
        let response = app
            .http
            .get(app.url(&format!("/v1/sign-in/{}", slug.replace(' ', "%20"))))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 404, "not_found").await;
        assert_eq!(problem["detail"], "no such sign-in provider", "{slug}");
    }
    let team = team_with_provider(&app, &issuer).await;
    let found: Value = app.public_json(&format!("/v1/sign-in/{}", team.slug)).await;
    assert_eq!(found["team_id"], team.id.to_string());
    assert_eq!(found["slug"], team.slug);
    assert_eq!(found["issuer"], issuer.url);
    assert_eq!(found["client_id"], "stride");
    assert!(found["team_name"].is_string());
    assert!(found.get("allowed_domain").is_none(), "{found}");
}
