//! The file of a POST Object form, streamed from the request body to the POST Object handler.
//!
//! s3s reads a form's file whole into memory. Once the edge has authenticated a form from its fields
//! ([`super::post_form`]), s3s gets the fields and an empty file part, checks the policy's
//! expiration and conditions on them as usual, and the handler reads the real file from a
//! [`PostFile`](crate::server::extensions::PostFile) in the request's extensions, up to the next delimiter, as it arrives.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use http::Request;
use http_body::Body as _;

use super::body::SharedBody;
use super::post_form::FilePart;
use crate::server::extensions::PostFile;

/// The bytes of a form's file part, ending at the delimiter that follows it.
pub(crate) struct FileStream {
    /// File bytes read ahead with the fields.
    pending: Option<Bytes>,
    body: SharedBody,
    /// Bytes not yet handed out: they may be the start of the delimiter.
    unsent: BytesMut,
    /// `\r\n--boundary`
    delimiter: Vec<u8>,
    done: bool,
}

impl Stream for FileStream {
    type Item = Result<Bytes, String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while !this.done {
            let chunk = match this.pending.take() {
                Some(bytes) => bytes,
                None => match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                    Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
                    Some(Err(e)) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e.to_string())));
                    }
                    None => {
                        this.done = true;
                        return Poll::Ready(Some(Err("the form ended inside its file".to_owned())));
                    }
                },
            };
            this.unsent.extend_from_slice(&chunk);
            if let Some(end) = memchr::memmem::find(&this.unsent, &this.delimiter) {
                this.done = true;
                let data = this.unsent.split_to(end).freeze();
                return Poll::Ready((!data.is_empty()).then_some(Ok(data)));
            }
            let keep = this.delimiter.len() - 1;
            if this.unsent.len() > keep {
                let ready = this.unsent.len() - keep;
                return Poll::Ready(Some(Ok(this.unsent.split_to(ready).freeze())));
            }
        }
        Poll::Ready(None)
    }
}

/// `req` for s3s with the form's fields and an empty file part (`peeked` is the start of the form,
/// `part` its file part), and the real file in a [`PostFile`] extension.
pub(super) fn stream_file(
    req: Request<s3s::Body>,
    body: &SharedBody,
    peeked: &Bytes,
    part: FilePart,
    boundary: &str,
) -> Request<s3s::Body> {
    let mut form = BytesMut::from(&peeked[..part.content]);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let form = form.freeze();
    body.take_peeked();
    let file = FileStream {
        pending: Some(peeked.slice(part.content..)),
        body: body.clone(),
        unsent: BytesMut::new(),
        delimiter: format!("\r\n--{boundary}").into_bytes(),
        done: false,
    };
    let (mut parts, _) = req.into_parts();
    parts.headers.insert(http::header::CONTENT_LENGTH, form.len().into());
    parts.extensions.insert(PostFile::new(Box::pin(file)));
    Request::from_parts(parts, s3s::Body::from(form))
}
