package io.datasync.nifi.consent;

import io.datasync.nifi.consent.ConsentCases.Cls;
import io.datasync.nifi.consent.ConsentCases.Config;
import io.datasync.nifi.consent.ConsentCases.Rec;
import io.datasync.nifi.consent.ConsentCases.Scope;
import io.datasync.nifi.consent.ConsentCases.Subject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A reference decider written from issue 14's rules alone, sharing no code with the product: it works on
 * the generated truth (word classes, instants), never on rendered values.
 * <ol>
 *   <li>A subject's regime is opt-in when any jurisdiction its records name is opt-in (DE, or an unlisted
 *       one under a Require Consent default), else opt-out; when no record names one, the default's.</li>
 *   <li>Evidence: each record's status (dated by the record time), a set GPC flag and a US Privacy opt-out
 *       (dated by the record time, counted only where their scope covers the regime), a malformed US Privacy
 *       or TC string (a denial dated by the record time, everywhere), a valid TC string (a grant when both
 *       TCF purposes have consent and, with the vendor check, the vendor has consent and no restriction
 *       forbids it; else a denial; dated by its last update), the store row's status (dated by its time).</li>
 *   <li>With signals not overridable, an applicable GPC or US Privacy opt-out denies.</li>
 *   <li>Only grants and denials decide. None: allowed exactly in an opt-out regime.</li>
 *   <li>The newest decides; an undated denial is newer than all, an undated grant older than all; a tie denies.</li>
 * </ol>
 */
public final class ConsentOracle {

    private ConsentOracle() {
    }

    private record Item(boolean grant, Instant at, boolean signal) {
    }

    public static boolean allowed(final Config config, final Subject subject) {
        boolean optIn = false;
        boolean named = false;
        for (final Rec rec : subject.records()) {
            if (rec.jurisdiction() == null) {
                continue;
            }
            named = true;
            final boolean recordOptIn = ConsentCases.OPT_IN_CODE.equals(rec.jurisdiction())
                    || !ConsentCases.OPT_OUT_CODE.equals(rec.jurisdiction()) && !config.defaultOptOut();
            optIn |= recordOptIn;
        }
        if (!named) {
            optIn = !config.defaultOptOut();
        }
        final List<Item> items = new ArrayList<>();
        for (final Rec rec : subject.records()) {
            final Instant at = rec.time().truth();
            if (rec.status() != null && rec.status().cls() != Cls.NONE) {
                items.add(new Item(rec.status().cls() == Cls.GRANT, at, false));
            }
            if (rec.gpc() != null && rec.gpc().set() && (config.gpcScope() == Scope.EVERYWHERE || !optIn)) {
                items.add(new Item(false, at, true));
            }
            if (rec.usp() != null) {
                if (rec.usp().malformed()) {
                    items.add(new Item(false, at, false));
                } else if (rec.usp().optOut() && (config.uspScope() == Scope.EVERYWHERE || !optIn)) {
                    items.add(new Item(false, at, true));
                }
            }
            if (rec.tc() != null) {
                if (rec.tc().malformed()) {
                    items.add(new Item(false, at, false));
                } else {
                    final boolean vendorOk = !config.vendorCheck() || rec.tc().vendor() && !rec.tc().restricted();
                    items.add(new Item(rec.tc().purposes() && vendorOk, rec.tc().truth(), false));
                }
            }
        }
        if (subject.store() != null && subject.store().status().cls() != Cls.NONE) {
            items.add(new Item(subject.store().status().cls() == Cls.GRANT, subject.store().time().truth(), false));
        }

        if (!config.laterGrantOverrides() && items.stream().anyMatch(Item::signal)) {
            return false;
        }
        if (items.isEmpty()) {
            return !optIn;
        }
        // the newest decides; compare every pair the way the rules state it
        for (final Item denial : items) {
            if (denial.grant()) {
                continue;
            }
            boolean someGrantIsNewer = false;
            for (final Item grant : items) {
                if (grant.grant() && strictlyNewer(grant, denial)) {
                    someGrantIsNewer = true;
                }
            }
            if (!someGrantIsNewer) {
                // this denial is at least as new as every grant
                return false;
            }
        }
        return true;
    }

    /** Whether the grant is strictly newer than the denial: an undated grant never is, an undated denial never is beaten. */
    private static boolean strictlyNewer(final Item grant, final Item denial) {
        if (grant.at() == null || denial.at() == null) {
            return false;
        }
        return grant.at().isAfter(denial.at());
    }
}
