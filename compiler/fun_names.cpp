// fun_names: OTP's numbering of funs and comprehensions (see fun_names.h).
#include "compiler/fun_names.h"

#include <fmt/core.h>

#include <vector>

namespace fun_names {

using ast::Kind;
using ast::Node;

namespace {

class Numbering {
  public:
    Numbering(std::string top, const RecordFields& records,
              std::unordered_map<const Node*, Number>& out)
        : top_(std::move(top)), records_(records), out_(out) {}

    // An expression, in v3_core's order.
    void expr(const Node* e) {
        if (e == nullptr) return;
        switch (e->kind) {
            case Kind::Cons:
            case Kind::Tuple:
            case Kind::Binary:
                right_to_left(e->children());
                return;
            case Kind::BinElement:
                expr(e->kid(0));  // the value, then its size
                expr(e->kid(1));
                return;
            case Kind::BinaryOp:
                if (e->op == token::Kind::KwAndalso || e->op == token::Kind::KwOrelse) {
                    expr(e->kid(0));
                    expr(e->kid(1));
                } else {
                    expr(e->kid(1));
                    expr(e->kid(0));
                }
                return;
            case Kind::Call:
                call(e);
                return;
            case Kind::FunRef:
                if (e->num_kids == 0) take_core(e);  // fun f/N
                return;
            case Kind::Fun:
                for (const Node* clause : e->children())
                    clause_of(clause);
                take_core(e);
                if (!e->text.empty()) out_[e].kernel = kernel_++;
                return;
            case Kind::Receive:
                receive(e);
                return;
            case Kind::Record:
                record(e);
                return;
            case Kind::ListComp:
            case Kind::BinComp:
                comprehension(e);
                return;
            case Kind::Match:
                expr(e->kid(1));  // the value; patterns hold no funs
                return;
            case Kind::Clause:
                clause_of(e);
                return;
            default:  // case, if, try, blocks, maps, ...: their children in order
                for (const Node* kid : e->children())
                    expr(kid);
                return;
        }
    }

    void clause_of(const Node* clause) {
        // Patterns and guards hold no funs.
        expr(ast::clause_body(clause));
    }

  private:
    void right_to_left(std::span<Node* const> kids) {
        for (size_t i = kids.size(); i-- > 0;)
            expr(kids[i]);
    }

    // F(Args): a local or remote callee's arguments right to left (M and F
    // last); any other callee first, then the arguments right to left.
    void call(const Node* e) {
        std::span<Node* const> kids = e->children();
        const Node* callee = kids[0];
        if (callee->kind == Kind::Atom) {
            right_to_left(kids.subspan(1));
        } else if (callee->kind == Kind::Remote) {
            right_to_left(kids.subspan(1));
            expr(callee->kid(1));
            expr(callee->kid(0));
        } else {
            expr(callee);
            right_to_left(kids.subspan(1));
        }
    }

    // receive with after: the timeout and the after body first.
    void receive(const Node* e) {
        const Node* after = nullptr;
        for (const Node* kid : e->children())
            if (kid->kind == Kind::After) after = kid;
        if (after) {
            expr(after->kid(0));
            expr(after->kid(1));
        }
        for (const Node* kid : e->children())
            if (kid->kind == Kind::Clause) clause_of(kid);
    }

    // #r{...} is a tuple of every field in declaration order (given values,
    // else defaults), made right to left.
    void record(const Node* e) {
        std::vector<const Node*> defaults;
        std::vector<std::string_view> fields;
        if (!records_ || !records_(e->text, defaults, fields)) {
            right_to_left(e->children());
            return;
        }
        const Node* others = nullptr;  // `_ = V`
        for (const Node* f : e->children())
            if (f->text == "_") others = f->kid(0);
        for (size_t i = fields.size(); i-- > 0;) {
            const Node* value = others ? others : defaults[i];
            for (const Node* f : e->children())
                if (f->text == fields[i]) value = f->kid(0);
            expr(value);
        }
    }

    // Generator and filter expressions first, then a number for each
    // generator, then the template.
    void comprehension(const Node* e) {
        std::span<Node* const> kids = e->children();
        for (const Node* q : kids.subspan(1)) {
            if (q->kind == Kind::Generate || q->kind == Kind::BinGenerate) {
                expr(q->kid(1));
            } else {
                expr(q);
            }
        }
        for (const Node* q : kids.subspan(1)) {
            if (q->kind != Kind::Generate && q->kind != Kind::BinGenerate) continue;
            Number& n = take_core(q);
            n.kernel = kernel_++;
            n.binary = e->kind == Kind::BinComp;
        }
        expr(kids[0]);
    }

    Number& take_core(const Node* node) {
        Number& n = out_[node];
        n.top = top_;
        n.core = core_++;
        return n;
    }

    std::string top_;
    const RecordFields& records_;
    std::unordered_map<const Node*, Number>& out_;
    uint32_t core_ = 0;
    uint32_t kernel_ = 0;
};

}  // namespace

void number(const Node* function, const RecordFields& records,
            std::unordered_map<const Node*, Number>& out) {
    Numbering numbering(fmt::format("{}/{}", function->text, function->int_value), records, out);
    for (const Node* clause : function->children())
        numbering.clause_of(clause);
}

std::string fun_name(const Node* fun_node, const Number& number, uint32_t arity) {
    if (fun_node->text.empty()) return fmt::format("-{}-fun-{}-", number.top, number.core);
    return fmt::format("-{}-{}/{}-{}-", number.top, fun_node->text, arity, number.kernel);
}

std::string generator_name(const Number& number) {
    return number.binary ? fmt::format("-{}-lbc$^{}/2-{}-", number.top, number.core, number.kernel)
                         : fmt::format("-{}-lc$^{}/1-{}-", number.top, number.core, number.kernel);
}

}  // namespace fun_names
