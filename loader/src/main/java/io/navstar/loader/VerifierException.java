package io.navstar.loader;

import io.navstar.sys.bpf.BpfException;

/**
 * BPF_PROG_LOAD was refused; carries the verifier's whole log (Documentation/bpf/verifier.rst), whose last
 * lines say why. With func and line info loaded, the log interleaves the C source lines.
 */
public final class VerifierException extends BpfException {
    private final String programName;
    private final String verifierLog;

    public VerifierException(int errno, String programName, String verifierLog) {
        super("BPF_PROG_LOAD", errno, "loading program \"" + programName + "\"",
                verifierLog.isBlank() ? "" : "; verifier log:\n" + verifierLog);
        this.programName = programName;
        this.verifierLog = verifierLog;
    }

    /** The program the kernel refused. */
    public String programName() {
        return programName;
    }

    /** The verifier's log, whole. */
    public String verifierLog() {
        return verifierLog;
    }
}
