/**
 * Developer commands, {@code navstar bpf ...}: each runs one part of the data plane alone, for demos, benchmarks
 * and end-to-end tests of that part. {@link io.navstar.agent.devtools.LoaderTour} ({@code bpf tour}) loads every
 * bundled eBPF object into a sandbox and prints it; {@link io.navstar.agent.devtools.BpfLbCommand}
 * ({@code bpf lb}) drives the load balancer component from a state file. The node agent does not use them.
 */
package io.navstar.agent.devtools;
