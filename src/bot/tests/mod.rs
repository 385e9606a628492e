//! Unit tests and the deterministic simulation.

mod settings_tests;
