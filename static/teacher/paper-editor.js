// The paper editor's rows: add and remove passages and questions, keep the form's names and the questions'
// numbers in order (1..N across the paper), and show each question the fields its type uses. The page works
// without it too: the server checks everything.

const form = document.getElementById("paper-form");
const passagesBox = document.getElementById("passages");
const passageTemplate = document.getElementById("passage-template");
const questionTemplate = document.getElementById("question-template");

const PREFIXED = ["name", "id", "for", "aria-describedby"];
const PASSAGE_PART = /passage-(\d+|__prefix__)-/;
const QUESTION_PART = /-question-(\d+|__prefix__)-/;

const passages = () => [...passagesBox.querySelectorAll(":scope > [data-passage]")];
const questionsOf = (passage) => [...passage.querySelectorAll("[data-questions] > [data-question]")];
const field = (root, name) => root.querySelector(`[name$="-${name}"]`);

function rename(root, pattern, replacement) {
  for (const element of [root, ...root.querySelectorAll("*")]) {
    for (const attribute of PREFIXED) {
      const value = element.getAttribute(attribute);
      if (value && pattern.test(value)) element.setAttribute(attribute, value.replace(pattern, replacement));
    }
  }
}

// Formsets read rows by their index in the names: after any change every row gets its place again.
function renumber() {
  let number = 0;
  const all = passages();
  form.querySelector('[name="passage-TOTAL_FORMS"]').value = String(all.length);
  all.forEach((passage, p) => {
    rename(passage, PASSAGE_PART, `passage-${p}-`);
    passage.querySelector("[data-passage-heading]").textContent = `Passage ${p + 1}`;
    const questions = questionsOf(passage);
    passage.querySelector('[name$="-question-TOTAL_FORMS"]').value = String(questions.length);
    questions.forEach((question, q) => {
      number += 1;
      rename(question, QUESTION_PART, `-question-${q}-`);
      question.querySelector("[data-question-heading]").textContent = `Question ${number}`;
      field(question, "number").value = String(number);
    });
  });
}

// A passage shows its headings box while it has a MATCHING question.
function showHeadingsBox(passage) {
  const matching = questionsOf(passage).some((question) => field(question, "type").value === "MATCHING");
  passage.querySelector("[data-shared-options]").hidden = !matching;
}

// A question shows the fields of its type; a MATCHING one that uses the passage's headings has no own options.
function showFieldsFor(question) {
  const type = field(question, "type").value;
  const shared = field(question, "uses_shared_options");
  for (const box of question.querySelectorAll("[data-shown-for]")) {
    box.hidden = !box.dataset.shownFor.split(" ").includes(type);
  }
  const ownOptions = question.querySelector("[data-own-options]");
  if (type === "MATCHING" && shared.checked) ownOptions.hidden = true;
  showHeadingsBox(question.closest("[data-passage]"));
}

function fromTemplate(template) {
  return template.content.firstElementChild.cloneNode(true);
}

// A new question continues the passage's run: the type of the one before, and its headings when it shared them.
function addQuestion(passage) {
  const question = fromTemplate(questionTemplate);
  const previous = questionsOf(passage).at(-1);
  passage.querySelector("[data-questions]").append(question);
  if (previous) {
    field(question, "type").value = field(previous, "type").value;
    field(question, "uses_shared_options").checked = field(previous, "uses_shared_options").checked;
  }
  renumber();
  showFieldsFor(question);
  field(question, "prompt").focus();
}

function addPassage() {
  const passage = fromTemplate(passageTemplate);
  passagesBox.append(passage);
  addQuestion(passage);
  field(passage, "title").focus();
}

function remove(row) {
  const passage = row.closest("[data-passage]");
  row.remove();
  renumber();
  if (passage?.isConnected) showHeadingsBox(passage);
}

form.addEventListener("click", (event) => {
  const button = event.target.closest("button[type=button]");
  if (!button) return;
  const passage = button.closest("[data-passage]");
  if (button.matches("[data-add-passage]")) addPassage();
  else if (button.matches("[data-add-question]")) addQuestion(passage);
  else if (button.matches("[data-remove-question]")) remove(button.closest("[data-question]"));
  else if (button.matches("[data-remove-passage]")) remove(passage);
});

form.addEventListener("change", (event) => {
  const question = event.target.closest("[data-question]");
  if (question && /-(type|uses_shared_options)$/.test(event.target.name)) showFieldsFor(question);
});

for (const question of form.querySelectorAll("[data-question]")) showFieldsFor(question);
