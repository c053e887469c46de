/** Counters of the DNS server, kept allocation-free on the event loops and read by an exporter at scrape time. */
package io.navstar.dns.metrics;
