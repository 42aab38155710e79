//! Keeps s3s's log events away from every subscriber, whatever its filter says.
//!
//! s3s logs whole requests (headers included) at debug level, form fields and string-to-sign texts
//! at debug level, and the text of header parse errors at error level; any of these may carry a
//! customer key. A library cannot own the application's subscriber, and a filter such as
//! `RUST_LOG=s3s::ops=trace` would re-enable those events however the server asked. So the server
//! runs every call into s3s under its own dispatcher ([`S3sSilencer`]), installed with
//! [`tracing::instrument::WithSubscriber`] for each poll of that call: it drops every event and span
//! whose target is s3s's and forwards everything else (the server's own events, from the handlers
//! s3s calls) to the dispatcher that was the default when the server started.

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// A dispatcher that forwards to `inner` everything but s3s's events and spans.
pub(super) struct S3sSilencer {
    inner: Dispatch,
}

impl S3sSilencer {
    /// A dispatcher forwarding to the current default dispatcher (the global one, or the one set for
    /// this thread), minus s3s.
    #[must_use]
    pub(super) fn around_current_default() -> Dispatch {
        let inner = tracing::dispatcher::get_default(Dispatch::clone);
        Dispatch::new(Self { inner })
    }
}

/// Whether a callsite belongs to s3s (its target is `s3s` or under `s3s::`).
fn is_s3s(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target == "s3s" || target.starts_with("s3s::")
}

impl Subscriber for S3sSilencer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_s3s(metadata) { Interest::never() } else { self.inner.register_callsite(metadata) }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !is_s3s(metadata) && self.inner.enabled(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows);
    }

    fn event_enabled(&self, event: &Event<'_>) -> bool {
        !is_s3s(event.metadata())
    }

    fn event(&self, event: &Event<'_>) {
        if !is_s3s(event.metadata()) {
            self.inner.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }
}
