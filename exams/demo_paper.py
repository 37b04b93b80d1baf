"""An original Academic Reading paper for the demo (data only): 3 passages, 40 questions numbered 1..40.

The shape is exams.services.test_create's input. Every key follows from its passage; options are display
text and a key is the option's letter or numeral ("B", "iv").
"""


def _prose(text: str) -> str:
    """Hard-wrapped source text → paragraphs separated by one blank line, each on one line."""
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in text.strip().split("\n\n"))


PARAGRAPH_LETTERS_A_TO_G = [f"{letter}  Paragraph {letter}" for letter in "ABCDEFG"]

PASSAGE_1 = _prose("""
A  Few objects are as ordinary as the pencil, yet its history involves armed guards, smugglers, wars and a
long search for a substitute for one remarkable deposit of mineral. That deposit lay in Borrowdale, a valley
in the north-west of England, where at some point in the sixteenth century local people came across a black,
shiny substance that left a dark mark on anything it touched. The material was soft enough to be cut into
sticks, and shepherds are said to have used it to mark their sheep, so that animals grazing together on the
open hillsides could be told apart by their owners.

B  Nobody at the time understood what the substance was. Because it looked and behaved rather like lead, it
was widely called 'black lead' or 'plumbago', a word meaning something that acts like lead. Only in 1779 did
the Swedish chemist Carl Wilhelm Scheele demonstrate that it was in fact a form of carbon, and ten years later
a German mineralogist proposed the name by which it is known today, 'graphite', from the Greek word meaning
'to write'. The older idea survived in everyday speech, however, and English speakers still talk about the
'lead' of a pencil, even though no ordinary pencil has ever contained the metal.

C  What made the Borrowdale deposit unusual was its purity. Most graphite found elsewhere was mixed with rock
and crumbled when it was cut, but the Cumbrian material could be sawn directly into thin rods. It quickly
became valuable, not only to artists and clerks but also to foundries, which used it to line the moulds in
which cannonballs were cast. As its price rose, so did theft. The owners responded by opening the workings
for only a few weeks each year and by posting guards at the entrance, and in 1752 Parliament made stealing
graphite a serious crime, punishable by hard labour or transportation to a distant colony. Even so, a lively
black market in the mineral operated in the nearby town of Keswick.

D  The earliest pencils were simply sticks of graphite wrapped in string or sheepskin to keep the user's
fingers clean. Placing the stick inside wood was a later improvement: craftsmen cut a groove in a strip of
wood, glued the graphite into it and covered it with a second strip. This basic method of assembling a pencil
has hardly changed in four centuries. What did change was the filling. Because graphite of Borrowdale quality
was so scarce, makers in other countries experimented with mixing graphite powder with substances such as
sulphur or glue and pressing the mixture into shape. The results were cheaper, but they tended to be scratchy
and to break easily, and customers who could afford English pencils continued to prefer them.

E  The decisive breakthrough came from France. In the 1790s France was at war with Britain and could no longer
obtain English graphite. The engineer Nicolas-Jacques Conté was asked to find an alternative, and in 1795 he
patented a process in which powdered graphite was mixed with clay and water, formed into rods and fired in a
kiln. Conté's method had two great advantages. First, it needed far less graphite than a solid stick, and
that graphite could be of poor quality. Second, by varying the proportion of clay, a manufacturer could
produce leads of different hardness: more clay gave a harder, paler line, while less clay gave a softer,
darker one. Almost every pencil made today still relies on this principle.

F  Over the following century pencil-making became an industry rather than a craft. In and around the German
city of Nuremberg, family firms built large factories and sold their pencils across Europe and beyond, and
manufacturers began to agree on standard lengths and on a system of letters and numbers to describe hardness.
In the United States, where a domestic industry grew up in the nineteenth century, machines were introduced to
cut the wood and shape the pencils, making it possible to produce many thousands in a single day. The familiar
six-sided shape became common partly because it was economical, since more pencils could be cut from a single
board, and partly because, unlike a round pencil, it does not roll off a sloping desk.

G  Meanwhile the famous Borrowdale mine was running out. Its output fell steadily during the nineteenth century,
and by the end of that century commercial mining there had ceased. Keswick did not abandon the trade, however.
Pencils continued to be made in the town, from graphite imported from other parts of the world, until the
early years of the twenty-first century, and Keswick is now home to a museum devoted to the history of the
pencil. The valley where it all began attracts walkers rather than miners, and few of them realise that the
quiet hillside above them once held one of the most closely guarded minerals in Europe.
""")

PASSAGE_2 = _prose("""
A  In 1729 the French astronomer Jean-Jacques d'Ortous de Mairan carried out a simple experiment that would
eventually open up an entire field of biology. He had noticed that the leaves of a mimosa plant opened during
the day and folded up at night. The obvious explanation was that the plant was reacting to sunlight. To test
this, de Mairan placed a mimosa in a dark cupboard and watched it over several days. To his surprise, the
leaves continued to open and close at roughly the usual times, even though the plant received no sunlight at
all. Something inside the plant, it seemed, was keeping time.

B  De Mairan did not pursue the matter, and for many years his observation was treated as a curiosity. Later
in the eighteenth century the Swedish botanist Carl Linnaeus noticed that different species open their flowers
at different hours and proposed that a 'flower clock' could be planted, so that a gardener could tell the time
by seeing which flowers were open. It is doubtful whether such a garden ever worked reliably, since opening
times vary with the weather and with distance from the equator, but the idea caught the public imagination. It
also reflected a growing awareness that plants, like animals, follow a daily rhythm.

C  Today biologists know that almost all living things, from bacteria to human beings, possess what is called a
circadian clock, from the Latin circa diem, meaning 'about a day'. The word 'about' is important. When a plant
is kept in constant conditions, with no changes in light or temperature to guide it, its rhythm usually runs a
little faster or slower than twenty-four hours. In the natural world the clock is reset every day, mainly by
the signals of dawn and dusk, in much the same way as a person might correct a watch that gains a few minutes
every day.

D  Much of what is known about the workings of this clock comes from research on a small weed called thale
cress, Arabidopsis thaliana. It grows quickly, it is easy to study in large numbers, and its genes have been
fully mapped. Researchers have found that the clock consists of a group of genes that switch one another on
and off in a repeating cycle. The products of some genes build up during the day and suppress the activity of
others; these become active in the evening and at night, and in turn allow the first group to return the
following morning. The complete cycle takes about a day, and it controls the timing of a remarkable
proportion of the plant's other genes: by some estimates, a third or more.

E  Why should a plant need a clock at all, when it could simply respond to light as it arrives? The answer
appears to be that anticipating a change is better than reacting to it. A plant that prepares its
light-gathering machinery before sunrise can begin to use the light the moment it appears, instead of losing
valuable time. Experiments have supported this view. In one study, plants whose clocks had different natural
lengths were grown under artificial days of different lengths. Those whose internal cycle matched the length
of their day contained more chlorophyll, took in more carbon and grew faster than plants whose clocks were out
of step with their surroundings.

F  The clock also helps plants to follow the seasons. By comparing the length of daylight with their internal
rhythm, many species can detect whether the days are getting longer or shorter, and they use this information
to decide when to flower. This matters greatly to farmers. A variety of wheat or barley that flowers at the
right time in one region may flower too early or too late if it is moved several hundred kilometres to the
north or south. Plant breeders have therefore taken a close interest in the clock genes, and some of the
changes that allowed crops to spread far from the places where they were first domesticated have turned out to
involve these very genes.

G  Research now continues into the ways in which the clock interacts with temperature, with the plant's
defences against insects and disease, and even with the release of scent at the times of day when pollinating
insects are most active. What began with a plant in a cupboard has become one of the liveliest areas of
modern plant science, and one with consequences for the food on our tables.
""")

PASSAGE_3 = _prose("""
A  For most of the twentieth century, the city street was treated as a channel for traffic. Engineers judged a
street by the number of vehicles it could carry in an hour, and everything else that happens in a street,
such as walking, playing, sitting and talking to neighbours, was squeezed into whatever space remained at the
edges. It is only relatively recently that planners have begun to ask whether this order of priorities was
ever sensible, and I believe they are right to ask. One of the most interesting answers to the question has
come from Barcelona.

B  The city's central district, the Eixample, was laid out in the nineteenth century as a regular grid of
square blocks. Its designer, the engineer Ildefons Cerdà, intended it to be a healthy and spacious
alternative to the crowded medieval city, with gardens in the middle of each block. His plan was, in many
ways, admirably far-sighted; the problem was not the grid itself but what was later done to it. During the
twentieth century most of the gardens were built over, and the streets filled with cars. By the early 2000s
the district suffered from some of the worst air pollution and noise in the city and had very little green
space for each of its residents.

C  The superblock, or superilla in Catalan, is an attempt to reverse that process without rebuilding anything.
A group of nine blocks, three by three, is treated as a single unit. Through traffic is directed onto the
roads around the edge of the unit, while the streets inside are reserved mainly for residents, deliveries and
emergency vehicles, which must travel at walking pace: no more than ten kilometres an hour. The space released
in this way can be used for benches, trees, play areas and outdoor events. The first superblock of this kind
was introduced in 2016 in Poblenou, a former industrial district, and the idea has since been extended to
other parts of the city, including the Eixample itself.

D  I should say at once that I find the idea persuasive, but it would be wrong to pretend that it was
universally welcomed. When the Poblenou scheme opened, some residents complained that they had not been
properly consulted, and shop owners worried that customers who could no longer park outside would simply go
elsewhere. Drivers, for their part, argued that traffic pushed onto the surrounding roads would merely move
congestion from one place to another. These objections deserve to be taken seriously. A scheme that is
imposed on a neighbourhood rather than developed together with the people who live there is likely to provoke
resistance, however good its intentions.

E  Yet many of the fears have proved exaggerated. Traffic does not simply move elsewhere in equal quantities.
When road space is reduced, a proportion of car journeys tends to disappear altogether, as people combine
trips, travel at different times, or choose to walk, cycle or take public transport instead. Transport
researchers have observed this effect, sometimes called 'traffic evaporation', in many cities. As for the
shops, the experience of pedestrianised streets elsewhere suggests that people on foot visit local businesses
more often than drivers do, even if they spend less on each visit.

F  The benefits most often claimed for superblocks concern health. A study by researchers in Barcelona
estimated that, if the scheme were applied across the whole city as originally planned, it could prevent
several hundred early deaths every year, through lower levels of air pollution, noise and summer heat and
through greater physical activity. Such figures come from computer models rather than direct measurement, and
they should be treated with some caution. But the direction of the effect is hardly surprising, and a benefit
of anything like that size would be difficult to achieve with any other single policy available to a city
council.

G  In my view, the most important lesson of the superblock is not its particular design but the principle
behind it: that streets are public spaces which belong to everyone who lives beside them, not simply routes
for people passing through. Every city has a different street pattern, and few have a grid as regular as
Barcelona's, so the nine-block model cannot simply be copied. What can be copied is the willingness to
experiment: to close a street for a trial period, observe what happens and adjust. Temporary schemes using
paint, planters and movable furniture are cheap, and if they fail they can be removed. Cities that wait for a
perfect plan before changing anything are likely to wait for ever.
""")

HEADINGS = [
    "i  A proposal that was more popular than practical",
    "ii  The advantage of being prepared",
    "iii  A rhythm that is not exactly twenty-four hours",
    "iv  How plants defend themselves against insects",
    "v  A chain of genes that regulate one another",
    "vi  The effect of temperature on plant growth",
    "vii  Reading the calendar as well as the clock",
    "viii  The first scientist to study plant genes",
]


def _matching_information(number: int, prompt: str, key: str) -> dict:
    return {"number": number, "type": "MATCHING", "prompt": f"Which paragraph (A–G) contains {prompt}?",
            "options": PARAGRAPH_LETTERS_A_TO_G, "answers": [key], "word_limit": None}  # fmt: skip


def _heading(number: int, paragraph: str, key: str) -> dict:
    return {"number": number, "type": "MATCHING", "prompt": f"Choose the correct heading for paragraph {paragraph}.",
            "options": HEADINGS, "answers": [key], "word_limit": None}  # fmt: skip


def _judgement(number: int, kind: str, prompt: str, key: str) -> dict:
    return {"number": number, "type": kind, "prompt": prompt, "options": [], "answers": [key], "word_limit": None}


def _choice(number: int, prompt: str, options: list[str], key: str) -> dict:
    return {"number": number, "type": "MULTIPLE_CHOICE", "prompt": prompt, "options": options, "answers": [key],
            "word_limit": None}  # fmt: skip


def _completion(number: int, kind: str, prompt: str, answers: list[str], word_limit: int) -> dict:
    return {"number": number, "type": kind, "prompt": prompt, "options": [], "answers": answers,
            "word_limit": word_limit}  # fmt: skip


TFNG, YNNG = "TRUE_FALSE_NOT_GIVEN", "YES_NO_NOT_GIVEN"
SENTENCE, SHORT = "SENTENCE_COMPLETION", "SHORT_ANSWER"

QUESTIONS_1 = [
    _matching_information(1, "a reason why an early alternative to pure graphite was unsatisfactory", "D"),
    _matching_information(2, "a use of graphite in the manufacture of weapons", "C"),
    _matching_information(3, "the origin of the name by which the mineral is known today", "B"),
    _matching_information(4, "an explanation of how pencils of different hardness can be made", "E"),
    _matching_information(5, "a practical advantage of a particular pencil shape", "F"),
    _judgement(
        6, TFNG, "Graphite was first discovered in Borrowdale by shepherds searching for lost sheep.", "NOT GIVEN"
    ),
    _judgement(
        7,
        TFNG,
        "The name 'graphite' was suggested by the scientist who showed that the mineral was a form of carbon.",
        "FALSE",
    ),  # fmt: skip
    _judgement(
        8, TFNG, "Despite the security measures, stolen graphite was bought and sold close to the mine.", "TRUE"
    ),
    _judgement(9, TFNG, "Conté's process could only be used with graphite of high quality.", "FALSE"),
    _completion(
        10, SENTENCE, "Before graphite was placed inside wood, it was wrapped in string or ______.", ["sheepskin"], 2
    ),  # fmt: skip
    _completion(
        11, SENTENCE, "Makers outside England mixed graphite powder with glue or ______.", ["sulphur", "sulfur"], 2
    ),  # fmt: skip
    _completion(
        12, SENTENCE, "In Conté's process, rods of graphite and clay were fired in a ______.", ["kiln", "a kiln"], 2
    ),  # fmt: skip
    _completion(
        13,
        SENTENCE,
        "In the United States, ______ were introduced to cut the wood and shape the pencils.",
        ["machines"],
        2,
    ),  # fmt: skip
]

QUESTIONS_2 = [
    _heading(14, "B", "i"),
    _heading(15, "C", "iii"),
    _heading(16, "D", "v"),
    _heading(17, "E", "ii"),
    _heading(18, "F", "vii"),
    _choice(
        19,
        "De Mairan's experiment showed that the leaves of the mimosa",
        [
            "A  moved only when they were exposed to sunlight",
            "B  went on opening and closing regularly in darkness",
            "C  moved more slowly in the cupboard than outdoors",
            "D  stopped moving after several days",
        ],
        "B",
    ),  # fmt: skip
    _choice(
        20,
        "What does the writer say about Linnaeus's 'flower clock'?",
        [
            "A  It was widely used by gardeners in the eighteenth century.",
            "B  It was based on de Mairan's experiment.",
            "C  It may not have been accurate in practice.",
            "D  It worked only with one species of flower.",
        ],
        "C",
    ),  # fmt: skip
    _choice(
        21,
        "Thale cress is widely used in research on plant clocks because",
        [
            "A  its daily cycle is unusually long",
            "B  it is an important food crop",
            "C  all of its genes are known",
            "D  it does not respond to light",
        ],
        "C",
    ),  # fmt: skip
    _choice(
        22,
        "In the study described in paragraph E, the plants that grew best were those",
        [
            "A  given the longest artificial days",
            "B  with the fastest internal clocks",
            "C  whose clocks matched the length of their day",
            "D  kept in constant light",
        ],
        "C",
    ),  # fmt: skip
    _completion(
        23,
        SHORT,
        "What kind of plant did de Mairan put in a dark cupboard?",
        ["mimosa", "a mimosa", "mimosa plant", "a mimosa plant"],
        3,
    ),  # fmt: skip
    _completion(
        24,
        SHORT,
        "Which two daily signals mainly reset the clock in the natural world?",
        ["dawn and dusk", "dusk and dawn"],
        3,
    ),  # fmt: skip
    _completion(
        25,
        SHORT,
        "According to some estimates, what proportion of a plant's other genes does the clock control?",
        ["a third", "one third", "third"],
        3,
    ),  # fmt: skip
    _completion(
        26,
        SHORT,
        "Apart from wheat, which crop is given as an example when flowering time is discussed?",
        ["barley"],
        3,
    ),  # fmt: skip
]

QUESTIONS_3 = [
    _judgement(
        27, YNNG, "Twentieth-century street design gave too little importance to uses other than traffic.", "YES"
    ),  # fmt: skip
    _judgement(28, YNNG, "Cerdà's original design for the Eixample was a mistake.", "NO"),
    _judgement(29, YNNG, "The complaints of Poblenou residents and shop owners should have been ignored.", "NO"),
    _judgement(30, YNNG, "Most European cities will eventually adopt superblocks.", "NOT GIVEN"),
    _judgement(
        31, YNNG, "Estimates of the health benefits of superblocks should be regarded with some caution.", "YES"
    ),  # fmt: skip
    _choice(
        32,
        "According to paragraph B, what happened to the Eixample during the twentieth century?",
        [
            "A  Its grid of streets was redesigned.",
            "B  Most of the open space inside its blocks disappeared.",
            "C  It became the city's main industrial area.",
            "D  Its population fell sharply.",
        ],
        "B",
    ),  # fmt: skip
    _choice(
        33,
        "Inside a superblock, vehicles",
        [
            "A  are banned completely",
            "B  may be used by residents only at night",
            "C  must travel very slowly",
            "D  are allowed only at weekends",
        ],
        "C",
    ),  # fmt: skip
    _choice(
        34,
        "What does the writer say about 'traffic evaporation'?",
        [
            "A  It has been observed only in Barcelona.",
            "B  Some car journeys are no longer made when road space is reduced.",
            "C  It causes congestion on the surrounding roads.",
            "D  It was first noticed by shop owners.",
        ],
        "B",
    ),  # fmt: skip
    _choice(
        35,
        "In the last paragraph, the writer suggests that other cities should",
        [
            "A  copy the nine-block design exactly",
            "B  wait until they have a complete plan",
            "C  try out changes on a temporary basis",
            "D  build a regular grid of streets",
        ],
        "C",
    ),  # fmt: skip
    _completion(
        36,
        SENTENCE,
        "In a superblock, through traffic is sent to the roads around the ______ of the unit.",
        ["edge"],
        1,
    ),  # fmt: skip
    _completion(
        37, SENTENCE, "The space inside may be used for benches, trees, play areas and outdoor ______.", ["events"], 1
    ),  # fmt: skip
    _completion(
        38, SENTENCE, "Shop owners feared that customers who could not ______ outside would go elsewhere.", ["park"], 1
    ),  # fmt: skip
    _completion(
        39,
        SENTENCE,
        "People on foot visit local shops more often, although they may ______ less each time.",
        ["spend"],
        1,
    ),  # fmt: skip
    _completion(40, SENTENCE, "Temporary schemes may use paint, planters and movable ______.", ["furniture"], 1),
]

# Where passage 1 holds the answers (the results page outlines them over the class's highlights).
EVIDENCE_1 = {
    2: "foundries, which used it to line the moulds in which cannonballs were cast",
    3: "a German mineralogist proposed the name by which it is known today, 'graphite'",
    7: "Only in 1779 did the Swedish chemist Carl Wilhelm Scheele demonstrate that it was in fact a form of carbon",
    8: "a lively black market in the mineral operated in the nearby town of Keswick",
    9: "that graphite could be of poor quality",
    10: "wrapped in string or sheepskin",
    11: "mixing graphite powder with substances such as sulphur or glue",
    12: "formed into rods and fired in a kiln",
    13: "machines were introduced to cut the wood and shape the pencils",
}


def _add_evidence(questions: list[dict], text: str, phrases: dict[int, str]) -> None:
    """Each question of `phrases` gets the span of its phrase in `text` as its evidence."""
    for question in questions:
        if question["number"] in phrases:
            start = text.index(phrases[question["number"]])
            question["evidence"] = {"position_start": start, "position_end": start + len(phrases[question["number"]])}


_add_evidence(QUESTIONS_1, PASSAGE_1, EVIDENCE_1)

DEMO_PAPER = {
    "title": "Academic Reading — Beacon mock 1",
    "module": "ACADEMIC_READING",
    "time_limit_minutes": 60,
    "passages": [
        {"title": "The pencil: from shepherd's mark to schoolroom", "text": PASSAGE_1, "questions": QUESTIONS_1},
        {"title": "Keeping time without a watch: the clocks of plants", "text": PASSAGE_2, "questions": QUESTIONS_2},
        {"title": "Giving the street back: the case for the superblock", "text": PASSAGE_3, "questions": QUESTIONS_3},
    ],
}
