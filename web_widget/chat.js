// Minimal chat box for the demo page: talks only to the chat gateway and renders
// every message as text, never as HTML. The full widget replaces this later.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  var buttons = document.getElementById("chat-buttons");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var conversationId = null;

  function show(text, who) {
    var p = document.createElement("p");
    p.className = "msg msg-" + who;
    p.textContent = text;
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }

  function showButtons(list) {
    buttons.textContent = "";
    (list || []).forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () { send(b.payload, b.title); });
      buttons.appendChild(button);
    });
  }

  function send(message, shown) {
    show(shown || message, "user");
    showButtons([]);
    fetch("/api/v1/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: message, conversation_id: conversationId })
    })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.error) { show(data.error, "bot"); return; }
        conversationId = data.conversation_id;
        data.messages.forEach(function (m) {
          if (m.text) { show(m.text, "bot"); }
          if (m.buttons) { showButtons(m.buttons); }
        });
      })
      .catch(function () { show("Sorry, the assistant is not available just now.", "bot"); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { send(text); input.value = ""; }
  });
})();
