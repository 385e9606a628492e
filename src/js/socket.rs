//! A thin owner of a platform `WebSocket` and its listeners. Dropping it removes every
//! listener and closes the socket, so nothing leaks across reconnects.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, WebSocket};

/// What the socket reports.
pub enum SocketEvent {
    /// `open`
    Open,
    /// A text frame that could not take the frame path (it arrived during a client call).
    Text(String),
    /// A binary frame (the protocol has none).
    Binary,
    /// `close` (with its code) or `error` (code 0).
    Closed(u16),
}

/// An open or opening socket with its listeners (the message one is events.js's).
pub struct Socket {
    ws: WebSocket,
    close_with: Cell<(u16, &'static str)>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Socket {
    /// Opens `url`; `handler` hears open/close/error until the socket is dropped, and
    /// `on_message` (the frame pump of events.js) hears the frames.
    pub fn open(
        url: &str,
        handler: Rc<dyn Fn(SocketEvent)>,
        on_message: &js_sys::Function,
    ) -> Result<Socket, JsValue> {
        let ws = WebSocket::new(url)?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let h = handler.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| h(SocketEvent::Open));
        let h = handler.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            h(SocketEvent::Closed(e.code()))
        });
        let h = handler;
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_| h(SocketEvent::Closed(0)));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            close_with: Cell::new((1000, "client closed")),
            _on_open: on_open,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    /// Sends a text frame. A failure surfaces as the socket's `close`.
    pub fn send(&self, text: &str) {
        let _ = self.ws.send_with_str(text);
    }

    /// Sets the close code and reason used when this socket is dropped. (Closing happens
    /// only in `Drop`, after the listeners are detached: some runtimes fire `close`
    /// synchronously from `close()`, which must not re-enter the client.)
    pub fn set_close(&self, code: u16, reason: &'static str) {
        self.close_with.set((code, reason));
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        if self.ws.ready_state() <= WebSocket::OPEN {
            let (code, reason) = self.close_with.get();
            let _ = self.ws.close_with_code_and_reason(code, reason);
        }
    }
}
