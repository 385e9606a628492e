// Must NOT compile: a misspelled status ("complete" for "completed").
import { LpClient } from "rampwire-lp";

const client = new LpClient({ apiUrl: "https://api.rampwire.app", lpKey: "lp_x" });
await client.waitForStatus(1, "complete");
