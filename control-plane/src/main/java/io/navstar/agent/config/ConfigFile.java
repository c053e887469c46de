package io.navstar.agent.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The agent's config file as written (YAML), before defaults and validation: every key optional, each value as
 * text or a list of text so that {@link AgentConfig#load} can say which key holds a bad value and why. Jackson
 * maps it strictly: a key that is not here is refused with its path. Immutable.
 *
 * @param node     this node
 * @param cluster  how it finds and authenticates the others
 * @param dataDir  where the KV store and the epoch live (default /var/lib/navstar)
 * @param tasksDir where task files are read from and API-registered tasks are kept (default data_dir/tasks)
 * @param lb       Minuteman
 * @param dns      Spartan
 * @param vips     VIP address ranges
 * @param api      the local HTTP API
 * @param logLevel trace, debug, info (the default), warn, error or off
 */
public record ConfigFile(
        Node node,
        Cluster cluster,
        @JsonProperty("data_dir") String dataDir,
        @JsonProperty("tasks_dir") String tasksDir,
        Lb lb,
        Dns dns,
        Vips vips,
        Api api,
        @JsonProperty("log_level") String logLevel) {

    /**
     * @param address     the node's private IPv4 address: gossip binds it and other nodes reach this node there
     * @param gossipPort  the gossip TCP port (default 62501)
     * @param hostname    the node's name in DNS (default: the system's host name)
     * @param publicIps   addresses outside the cluster, listed in {@code /v1/nodes}
     */
    public record Node(String address, @JsonProperty("gossip_port") String gossipPort, String hostname,
                       @JsonProperty("public_ips") List<String> publicIps) {
    }

    /**
     * @param contacts   other nodes, as {@code a.b.c.d:port}, to join through
     * @param secretFile a file holding the cluster secret (at least 16 bytes); peers without it are refused
     * @param tls        certificate files for TLS between nodes
     */
    public record Cluster(List<String> contacts, @JsonProperty("secret_file") String secretFile, Tls tls) {
    }

    /** PEM files: this node's certificate chain and key, and the CA every peer's certificate must chain to. */
    public record Tls(String certificate, @JsonProperty("private_key") String privateKey,
                      @JsonProperty("trusted_certificates") String trustedCertificates) {
    }

    /**
     * @param mode        sock, tc or xdp
     * @param cgroup      sock mode: the cgroup v2 directory whose sockets are balanced (default: the cgroup2 mount)
     * @param netns       tc/xdp mode: the /run/netns namespace of the interfaces (default: the agent's own)
     * @param interfaces  tc/xdp mode: interface names or globs that carry container traffic
     * @param pinDir      bpffs directory of the pinned maps and links (default /sys/fs/bpf/navstar)
     * @param maxVips     map sizes (defaults from the host's memory: all maps within 1 % of it)
     * @param maxBackends see maxVips
     * @param maxFlows    see maxVips
     * @param maglevCells retired (Maglev tables are sized per VIP); accepted and ignored
     */
    public record Lb(String mode, String cgroup, String netns, List<String> interfaces,
                     @JsonProperty("pin_dir") String pinDir, @JsonProperty("max_vips") String maxVips,
                     @JsonProperty("max_backends") String maxBackends, @JsonProperty("max_flows") String maxFlows,
                     @JsonProperty("maglev_cells") String maglevCells) {
    }

    /**
     * @param listen     addresses Spartan answers on (default 198.51.100.1-3:53)
     * @param iface      the dummy interface created to hold the listen addresses (default spartan; "" for none)
     * @param upstreams  resolvers for names outside the cluster (default: the nameservers of /etc/resolv.conf)
     * @param domain     the cluster's domain (default thisdcos.directory)
     * @param eventLoops event loops (default: one per core)
     */
    public record Dns(List<String> listen, @JsonProperty("interface") String iface, List<String> upstreams,
                      String domain, @JsonProperty("event_loops") String eventLoops) {
    }

    /**
     * @param ipv4Range        where named VIPs get their IPv4 addresses (default 11.0.0.0/8)
     * @param ipv6Range        where named VIPs get their IPv6 addresses (default fd01:c::/64)
     * @param defaultFramework the framework of tasks that name none (default marathon)
     */
    public record Vips(@JsonProperty("ipv4_range") String ipv4Range, @JsonProperty("ipv6_range") String ipv6Range,
                       @JsonProperty("default_framework") String defaultFramework) {
    }

    /** @param listen the API's address (default 127.0.0.1:62080) */
    public record Api(String listen) {
    }
}
