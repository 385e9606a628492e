//! Unit tests and the deterministic simulation.

mod engine_tests;
mod settings_tests;
mod sim;
mod support;
