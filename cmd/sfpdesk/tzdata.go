package main

// The time zones travel inside the binary: sellers' deadlines, business
// days and quiet hours are local times, and the container image (FROM
// scratch) or a minimal host may have no zoneinfo of its own.
import _ "time/tzdata"
