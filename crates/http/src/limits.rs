//! Limits on the request itself, answered in problem+json before any route sees it: a body
//! must arrive within a deadline (408, and the connection is closed), the request target may
//! be at most 8 KiB (414) and the headers at most 32 KiB together (431).
//!
//! The limits sit well below those of actix-web's HTTP/1 parser, which answers on its own,
//! before any middleware, with an empty body and without a way to configure it: a request
//! target over 65,534 bytes (the `http` crate's limit) gets a bare 400, a head over 128 KiB
//! or with more than 96 headers a bare 431, and a head that takes longer than
//! `client_request_timeout` a bare 408. Every request under those reaches the checks here.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::Stream;

use crate::error::{ApiError, Code};

/// The default for how long a body may take to arrive once the head has: a metric batch
/// (1 MiB, the largest body) at 35 KB/s.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the head may take to arrive (actix-web's own default, stated here).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest request target (path and query) served.
pub const MAX_URI: usize = 8 * 1024;
/// The most header bytes (names and values) served.
pub const MAX_HEADERS: usize = 32 * 1024;

/// How long a body may take, as the server was configured.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// 414 for an over-long request target, 431 for over-large headers.
pub async fn head_limits(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let target = req.uri().path_and_query().map_or(0, |t| t.as_str().len());
    if target > MAX_URI {
        let error = ApiError::new(
            StatusCode::URI_TOO_LONG,
            Code::UriTooLong,
            format!("the path and query are {target} bytes; at most {MAX_URI} are served"),
        );
        return Ok(req.error_response(error));
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADERS {
        let error = ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Code::HeadersTooLarge,
            format!("the headers are {headers} bytes; at most {MAX_HEADERS} are served"),
        );
        return Ok(req.error_response(error));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A request body that fails once its deadline has passed, and says so in `expired`.
struct Deadline {
    body: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
    expired: Rc<Cell<bool>>,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        // The timer first: a body trickling in a byte at a time never gets past it.
        if this.timer.as_mut().poll(cx).is_ready() {
            this.done = true;
            this.expired.set(true);
            let late = std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the body did not arrive in time",
            );
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        let next = Pin::new(&mut this.body).poll_next(cx);
        if matches!(next, Poll::Ready(None)) {
            this.done = true;
        }
        next
    }
}

fn has_body(req: &ServiceRequest) -> bool {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|length| length.as_bytes() != b"0");
    declared || req.headers().contains_key(header::TRANSFER_ENCODING)
}

/// Gives the request body a deadline: whoever reads it past the deadline gets an error, and
/// the answer is a 408 that closes the connection (the rest of the body is never read).
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let timeout = req.app_data::<web::Data<BodyTimeout>>().map(|t| t.0);
    let (Some(timeout), true) = (timeout, has_body(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let expired = Rc::new(Cell::new(false));
    let body = Deadline {
        body: req.take_payload(),
        timer: Box::pin(tokio::time::sleep(timeout)),
        expired: Rc::clone(&expired),
        done: false,
    };
    let body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(body);
    req.set_payload(Payload::from(body));
    let response = next.call(req).await?;
    if !expired.get() {
        return Ok(response.map_into_boxed_body());
    }
    let error = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        Code::RequestTimeout,
        format!(
            "the body did not arrive within {} s; send it again",
            timeout.as_secs_f64()
        ),
    );
    let (request, _) = response.into_parts();
    let mut answer = error.error_response();
    answer.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(request, answer))
}
