"""Where radiologists may report and where cases come from: countries and Swiss cantons."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

# Word lists rather than 249 quoted literals: easier to check against the standard.
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC
    EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK
    HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB
    LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU
    RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN
    TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()  # noqa: SIM905
)
"""ISO 3166-1 alpha-2: every officially assigned country code."""

CANTONS = frozenset("AG AI AR BE BL BS FR GE GL GR JU LU NE NW OW SG SH SO SZ TG TI UR VD VS ZG ZH".split())  # noqa: SIM905
"""ISO 3166-2:CH: the 26 cantons, written CH-ZH."""


def _licence(value: str) -> str:
    code = value.strip().upper()
    country, dash, canton = code.partition("-")
    if (not dash and code in COUNTRIES) or (country == "CH" and canton in CANTONS):
        return code
    raise ValueError(
        f"'{value}' is not a country code (ISO 3166-1, e.g. CH, DE) nor a Swiss canton (e.g. CH-ZH)"
    )


Licence = Annotated[str, AfterValidator(_licence)]
"""Where a radiologist may report: a country ("DE") or a Swiss canton ("CH-ZH"), upper case."""


def covers(licences: list[str], region: str) -> bool:
    """A licence covers its own region and, for a country, every subdivision: a case from canton
    X needs CH or CH-X; a case known only as CH needs CH."""
    wanted = region.strip().upper()
    return wanted in licences or wanted.partition("-")[0] in licences
