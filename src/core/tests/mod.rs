//! Native tests of the core. Time is the injected clock: nothing sleeps.

mod harness;
mod hostile_tests;

mod backoff_tests;
mod book_tests;
mod config_tests;
mod connection_tests;
mod flow_tests;
mod json_tests;
mod options_tests;
mod rest_tests;
mod wire_tests;
