/**
 * Developer commands, {@code navstar bpf ...}: each runs one part of the data plane alone, for demos, benchmarks
 * and end-to-end tests of that part. {@link io.navstar.agent.devtools.LoaderTour} ({@code bpf tour}) loads every
 * bundled eBPF object into a sandbox and prints it; {@link io.navstar.agent.devtools.BpfLbCommand}
 * ({@code bpf lb}) drives the load balancer component from a state file. {@link io.navstar.agent.devtools.TcxFloor}
 * (a main class, not a subcommand) holds empty tcx programs for a benchmark's floor. The node agent uses none of them.
 */
package io.navstar.agent.devtools;
